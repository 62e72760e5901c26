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
            replica_of: None,
            cluster: Some(CLUSTER.into()),
            replicas: vec![REPLICA.into()],
            pending_modifications: Vec::new(),
            backup_retention_days: 7,
            arn: format!("arn:aws:rds:eu-west-1:123456789012:db:{PRIMARY}"),
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

    /// One GetMetricData period for every instance: the orders cluster's
    /// writer carries the incident's load; storage fills slowly; replicas
    /// lag (a series only while they are replicas, as CloudWatch reports
    /// `ReplicaLag` only for them).
    pub(super) fn sample_metrics(&mut self) {
        let load = self.load();
        let noise = self.rng.f64() * 4.0 - 2.0;
        let lag_noise = self.rng.f64() * 0.4;
        for db in &self.dbs {
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
            let m = self
                .metrics
                .entry(db.id.clone())
                .or_insert_with(|| DbMetrics { instance: db.id.clone(), ..DbMetrics::default() });
            push_capped(&mut m.cpu, (cpu * 10.0).round() / 10.0);
            push_capped(&mut m.connections, conns.round().max(0.0));
            let growth = if in_orders { 0.01 + 0.05 * load } else { 0.002 };
            let free = self.free_gib.entry(db.id.clone()).or_insert(f64::from(db.allocated_gib));
            *free = (*free - growth).max(0.0);
            push_capped(&mut m.free_storage_gib, (*free * 10.0).round() / 10.0);
            if primary {
                m.replica_lag_s.clear();
            } else {
                push_capped(&mut m.replica_lag_s, ((0.3 + lag_noise + 14.0 * load) * 10.0).round() / 10.0);
            }
        }
        self.dirty.metrics = true;
    }

    /// The metrics feed's poll: every instance's series.
    pub(super) fn metrics_update(&self) -> SourceUpdate {
        self.data(FeedData::DbMetrics(Delta::Reset(self.metrics.values().cloned().collect())))
    }

    /// The latest datapoint of an instance's metric, as an alarm on it
    /// evaluates it.
    pub(super) fn latest_metric(&self, instance: &str, metric: &str) -> Option<f64> {
        let m = self.metrics.get(instance)?;
        let series = match metric {
            "CPUUtilization" => &m.cpu,
            "DatabaseConnections" => &m.connections,
            "ReplicaLag" => &m.replica_lag_s,
            "FreeStorageSpace" => &m.free_storage_gib,
            _ => return None,
        };
        series.last().copied()
    }
}

pub(super) fn push_capped(v: &mut Vec<f64>, x: f64) {
    if v.len() >= METRIC_POINTS {
        v.remove(0);
    }
    v.push(x);
}
