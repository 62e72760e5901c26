//! The demo's databases and the load the incident puts on them.

use super::*;

impl DemoWorld {
    pub(super) fn primary(&self) -> DbInstance {
        DbInstance {
            id: PRIMARY.into(),
            status: "available".into(),
            class: "db.r6g.xlarge".into(),
            engine: "postgres".into(),
            engine_version: "15.5".into(),
            multi_az: false,
            az: "eu-west-1a".into(),
            secondary_az: None,
            endpoint: format!("{PRIMARY}.c9akciq32.eu-west-1.rds.amazonaws.com:5432"),
            allocated_gib: 500,
            free_gib: 212.4,
            replica_of: None,
            cluster: Some(CLUSTER.into()),
            replicas: vec![REPLICA.into()],
            replica_lag_s: None,
            pending_modifications: Vec::new(),
            backup_retention_days: 7,
            arn: format!("arn:aws:rds:eu-west-1:123456789012:db:{PRIMARY}"),
            cpu: Vec::new(),
            connections: Vec::new(),
            free_storage: Vec::new(),
        }
    }

    /// A standalone Multi-AZ MySQL instance that stays healthy.
    pub(super) fn billing(&self) -> DbInstance {
        DbInstance {
            id: BILLING.into(),
            class: "db.m6g.large".into(),
            engine: "mysql".into(),
            engine_version: "8.0.36".into(),
            multi_az: true,
            az: "eu-west-1b".into(),
            secondary_az: Some("eu-west-1a".into()),
            endpoint: format!("{BILLING}.c9akciq32.eu-west-1.rds.amazonaws.com:3306"),
            allocated_gib: 200,
            free_gib: 141.7,
            cluster: None,
            replicas: Vec::new(),
            backup_retention_days: 14,
            arn: format!("arn:aws:rds:eu-west-1:123456789012:db:{BILLING}"),
            ..self.primary()
        }
    }

    pub(super) fn replica(&self) -> DbInstance {
        DbInstance {
            id: REPLICA.into(),
            class: "db.r6g.large".into(),
            multi_az: false,
            az: "eu-west-1c".into(),
            secondary_az: None,
            endpoint: format!("{REPLICA}.c9akciq32.eu-west-1.rds.amazonaws.com:5432"),
            replica_of: Some(PRIMARY.into()),
            replicas: Vec::new(),
            replica_lag_s: Some(0.4),
            arn: format!("arn:aws:rds:eu-west-1:123456789012:db:{REPLICA}"),
            ..self.primary()
        }
    }

    /// The database load the scenario calls for at this moment (0..=1).
    pub(super) fn load(&self) -> f64 {
        let e = self.elapsed() as f64;
        let rise = ((e - 22.0) / 18.0).clamp(0.0, 1.0);
        match self.fixed_at {
            Some(t) => {
                let since = (self.now - t).num_seconds() as f64;
                rise * (1.0 - since / 20.0).clamp(0.0, 1.0)
            }
            None => rise,
        }
    }

    pub(super) fn sample_metrics(&mut self) {
        let load = self.load();
        let noise = self.rng.f64() * 4.0 - 2.0;
        let lag_noise = self.rng.f64() * 0.4;
        for db in &mut self.dbs {
            // The orders cluster's writer carries the incident's load.
            let in_orders = db.cluster.as_deref() == Some(CLUSTER);
            let primary = db.replica_of.is_none();
            let (base_cpu, peak_cpu, base_conns, peak_conns) = match (in_orders, primary) {
                (true, true) => (18.0, 94.0, 120.0, 480.0),
                (true, false) => (9.0, 41.0, 24.0, 54.0),
                (false, _) => (12.0, 14.0, 40.0, 44.0),
            };
            let cpu = (base_cpu + (peak_cpu - base_cpu) * load + noise).clamp(0.0, 100.0);
            let conns = base_conns + (peak_conns - base_conns) * load + noise * 3.0;
            push_capped(&mut db.cpu, (cpu * 10.0).round() / 10.0);
            push_capped(&mut db.connections, conns.round().max(0.0));
            let growth = if in_orders { 0.01 + 0.05 * load } else { 0.002 };
            db.free_gib = (db.free_gib - growth).max(0.0);
            push_capped(&mut db.free_storage, (db.free_gib * 10.0).round() / 10.0);
            if !primary {
                db.replica_lag_s = Some(((0.3 + lag_noise + 14.0 * load) * 10.0).round() / 10.0);
            }
        }
        self.dirty[1] = true;
    }
}

pub(super) fn push_capped(v: &mut Vec<f64>, x: f64) {
    if v.len() >= METRIC_POINTS {
        v.remove(0);
    }
    v.push(x);
}
