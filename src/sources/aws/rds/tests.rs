use aws_sdk_rds::types::{DbClusterMember, Endpoint};
use chrono::TimeDelta;

use super::*;

fn sdk_instance(id: &str) -> aws_sdk_rds::types::builders::DbInstanceBuilder {
    aws_sdk_rds::types::DbInstance::builder()
        .db_instance_identifier(id)
        .db_instance_status("available")
        .db_instance_class("db.r6g.large")
        .engine("postgres")
        .engine_version("15.5")
        .availability_zone("eu-west-1a")
        .allocated_storage(500)
        .backup_retention_period(7)
        .db_instance_arn(format!("arn:aws:rds:eu-west-1:123456789012:db:{id}"))
}

#[test]
fn an_instance_keeps_what_the_panel_shows() {
    let i = sdk_instance("orders-db")
        .multi_az(true)
        .secondary_availability_zone("eu-west-1b")
        .endpoint(Endpoint::builder().address("orders-db.abc.eu-west-1.rds.amazonaws.com").port(5432).build())
        .read_replica_db_instance_identifiers("orders-db-replica")
        .pending_modified_values(
            PendingModifiedValues::builder().db_instance_class("db.r6g.xlarge").master_user_password("****").build(),
        )
        .build();
    let d = instance(&i).unwrap();
    assert_eq!((d.id.as_str(), d.status.as_str(), d.allocated_gib), ("orders-db", "available", 500));
    assert_eq!(d.endpoint, "orders-db.abc.eu-west-1.rds.amazonaws.com:5432");
    assert!(d.multi_az);
    assert_eq!(d.secondary_az.as_deref(), Some("eu-west-1b"));
    assert_eq!(d.replicas, ["orders-db-replica"]);
    assert_eq!(d.pending_modifications, ["class db.r6g.xlarge", "master password"], "never the password itself");
    assert_eq!(d.role(), "primary");
    let replica = instance(&sdk_instance("r").read_replica_source_db_instance_identifier("orders-db").build());
    assert_eq!(replica.unwrap().role(), "replica");
}

#[test]
fn cluster_members_learn_their_cluster_and_writer() {
    let mut instances: Vec<DbInstance> =
        ["w", "r1", "r2", "solo"].iter().map(|id| instance(&sdk_instance(id).build()).unwrap()).collect();
    let member = |id: &str, writer: bool| {
        DbClusterMember::builder().db_instance_identifier(id).is_cluster_writer(writer).build()
    };
    let cluster = DbCluster::builder()
        .db_cluster_identifier("orders")
        .db_cluster_members(member("r1", false))
        .db_cluster_members(member("w", true))
        .db_cluster_members(member("r2", false))
        .build();
    join_clusters(&mut instances, &[cluster]);
    let role = |id: &str| {
        let i = instances.iter().find(|i| i.id == id).unwrap();
        (i.role(), i.cluster.clone(), i.replica_of.clone())
    };
    assert_eq!(role("w"), ("writer", Some("orders".into()), None));
    assert_eq!(role("r1"), ("reader", Some("orders".into()), Some("w".into())));
    assert_eq!(role("solo"), ("primary", None, None));
    assert_eq!(instances[0].replicas, ["r1", "r2"], "the writer lists its readers");
}

#[test]
fn metrics_queries_are_named_by_instance_and_series_and_come_back_in_order() {
    let ids = vec!["a".to_string(), "b".to_string()];
    let q = queries(&ids);
    assert_eq!(q.len(), 8);
    assert_eq!(q[5].id(), Some("m1_1"));
    let stat = q[6].metric_stat().unwrap();
    assert_eq!(stat.metric().unwrap().metric_name(), Some("FreeStorageSpace"));
    assert_eq!(stat.metric().unwrap().dimensions()[0].value(), Some("b"));

    let mut metrics: Vec<DbMetrics> =
        ids.iter().map(|id| DbMetrics { instance: id.clone(), ..DbMetrics::default() }).collect();
    let t0 = crate::fixtures::t0();
    let at = |m| t0 + TimeDelta::minutes(m);
    // Newest first, as GetMetricData answers by default.
    absorb(&mut metrics, "m0_0", &[(at(2), 30.0), (at(1), 20.0), (at(0), 10.0)]);
    absorb(&mut metrics, "m1_2", &[(at(0), 10.0 * 1024f64.powi(3))]);
    absorb(&mut metrics, "m9_0", &[(at(0), 1.0)]);
    absorb(&mut metrics, "garbage", &[(at(0), 1.0)]);
    assert_eq!(metrics[0].cpu, [10.0, 20.0, 30.0]);
    assert_eq!(metrics[1].free_storage_gib, [10.0], "bytes become GiB");
    assert!(metrics[1].cpu.is_empty());
}
