//! AWS actions against moto behind the project's launcher: each one's
//! effect is visible through the API afterwards, it shows in CloudTrail
//! (the launcher's record) as the console's own call, and a refusal is a
//! clear failure.
#![allow(clippy::unwrap_used)]

#[path = "support/aws.rs"]
mod aws;

use warroom::actions::{Action, ActionError, ActionKind, Executor, Scope};
use warroom::sources::aws::AwsExecutor;

fn action(kind: ActionKind) -> Action {
    Action { kind, scope: Scope::default() }
}

async fn executor(moto: &aws::Moto) -> AwsExecutor {
    AwsExecutor::with_config(moto.console_config().await, "run `aws sso login --profile test`".into())
}

async fn run(exec: &AwsExecutor, kind: ActionKind) -> Result<String, ActionError> {
    exec.execute(action(kind)).await.map(|e| e.message)
}

#[tokio::test]
async fn db_instance_actions_reach_rds_and_show_in_cloudtrail() {
    let moto = aws::Moto::start();
    let config = moto.sdk_config().await;
    let rds = aws_sdk_rds::Client::new(&config);
    aws::create_db(&rds, "orders-db", true, None).await;
    aws::create_replica(&rds, "orders-db-replica", "orders-db").await;
    let exec = executor(&moto).await;

    let said = run(&exec, ActionKind::RebootDb { id: "orders-db".into() }).await.unwrap();
    assert!(said.starts_with("reboot of orders-db requested; status "), "{said}");
    let said = run(&exec, ActionKind::FailoverDb { id: "orders-db".into() }).await.unwrap();
    assert!(said.contains("with failover"), "{said}");
    let failover = moto.console_calls().into_iter().rfind(|c| c["operation"] == "RebootDBInstance").unwrap();
    assert_eq!(failover["params"]["ForceFailover"], "true", "{failover}");

    let snapshot =
        ActionKind::SnapshotDb { id: "orders-db".into(), snapshot_id: "orders-db-warroom-20261124-1200".into() };
    run(&exec, snapshot).await.unwrap();
    let snapshots = rds.describe_db_snapshots().db_instance_identifier("orders-db").send().await.unwrap();
    let ids: Vec<_> = snapshots.db_snapshots().iter().filter_map(|s| s.db_snapshot_identifier()).collect();
    assert!(ids.contains(&"orders-db-warroom-20261124-1200"), "{ids:?}");

    let said = run(&exec, ActionKind::PromoteReplica { id: "orders-db-replica".into() }).await.unwrap();
    assert!(said.starts_with("promotion of orders-db-replica to a standalone instance requested"), "{said}");
    // moto 5.2.5 accepts the promotion but keeps describing the old source,
    // so the API call itself is what can be checked.
    let promote = moto.console_calls().into_iter().rfind(|c| c["operation"] == "PromoteReadReplica").unwrap();
    assert_eq!(
        (promote["params"]["DBInstanceIdentifier"].as_str(), promote["status"].as_u64()),
        (Some("orders-db-replica"), Some(200))
    );

    // Each was the console's own mutating call, recorded as CloudTrail
    // records them, and LookupEvents finds it.
    let trail = aws_sdk_cloudtrail::Client::new(&config);
    let events = trail.lookup_events().send().await.unwrap();
    let reboot = events.events().iter().find(|e| e.event_name() == Some("RebootDBInstance")).unwrap();
    assert!(reboot.cloud_trail_event().unwrap().contains("app/warroom"), "by the console's user agent");
    assert_eq!(reboot.resources()[0].resource_name(), Some("orders-db"));
    let mutating: Vec<_> =
        moto.console_calls().into_iter().filter(|c| c["mutating"] == true).map(|c| c["operation"].clone()).collect();
    assert_eq!(
        mutating,
        ["RebootDBInstance", "RebootDBInstance", "CreateDBSnapshot", "PromoteReadReplica"],
        "one call per action, nothing else"
    );
}

#[tokio::test]
async fn a_cluster_fails_over_to_the_chosen_reader_and_is_snapshotted_whole() {
    let moto = aws::Moto::start();
    let rds = aws_sdk_rds::Client::new(&moto.sdk_config().await);
    rds.create_db_cluster()
        .db_cluster_identifier("orders")
        .engine("aurora-postgresql")
        .master_username("app")
        .master_user_password("not-a-real-password")
        .send()
        .await
        .unwrap();
    aws::create_db(&rds, "orders-1", false, Some("orders")).await;
    aws::create_db(&rds, "orders-2", false, Some("orders")).await;
    let writer = |c: &aws_sdk_rds::operation::describe_db_clusters::DescribeDbClustersOutput| {
        let members = c.db_clusters()[0].db_cluster_members();
        members
            .iter()
            .find(|m| m.is_cluster_writer() == Some(true))
            .and_then(|m| m.db_instance_identifier())
            .map(str::to_string)
    };
    let before = rds.describe_db_clusters().db_cluster_identifier("orders").send().await.unwrap();
    assert_eq!(writer(&before).as_deref(), Some("orders-1"));

    let exec = executor(&moto).await;
    let said =
        run(&exec, ActionKind::FailoverCluster { cluster: "orders".into(), to: "orders-2".into() }).await.unwrap();
    assert!(said.starts_with("failover of cluster orders to orders-2 requested"), "{said}");
    let after = rds.describe_db_clusters().db_cluster_identifier("orders").send().await.unwrap();
    assert_eq!(writer(&after).as_deref(), Some("orders-2"));

    run(&exec, ActionKind::SnapshotCluster { cluster: "orders".into(), snapshot_id: "orders-warroom-1".into() })
        .await
        .unwrap();
    let snaps = rds.describe_db_cluster_snapshots().db_cluster_identifier("orders").send().await.unwrap();
    let ids: Vec<_> = snaps.db_cluster_snapshots().iter().filter_map(|s| s.db_cluster_snapshot_identifier()).collect();
    assert!(ids.contains(&"orders-warroom-1"), "{ids:?}");
}

#[tokio::test]
async fn alarm_actions_are_switched_and_refusals_are_clear_failures() {
    let moto = aws::Moto::start();
    let cw = aws_sdk_cloudwatch::Client::new(&moto.sdk_config().await);
    aws::put_cpu_alarm(&cw, "orders-db-high-cpu", "orders-db").await;
    let enabled = || async {
        let out = cw.describe_alarms().alarm_names("orders-db-high-cpu").send().await.unwrap();
        out.metric_alarms()[0].actions_enabled()
    };
    assert_eq!(enabled().await, Some(true));
    let exec = executor(&moto).await;
    let said = run(&exec, ActionKind::SetAlarmActions { alarm: "orders-db-high-cpu".into(), enabled: false }).await;
    assert_eq!(said.unwrap(), "actions of alarm orders-db-high-cpu disabled: it will notify no one");
    assert_eq!(enabled().await, Some(false));
    run(&exec, ActionKind::SetAlarmActions { alarm: "orders-db-high-cpu".into(), enabled: true }).await.unwrap();
    assert_eq!(enabled().await, Some(true));

    // An instance that is not there: the service's refusal, in its words.
    match run(&exec, ActionKind::RebootDb { id: "ghost-db".into() }).await {
        Err(ActionError::Rejected { message }) => assert!(message.contains("DBInstanceNotFound"), "{message}"),
        other => panic!("{other:?}"),
    }
    // Expired credentials: the failure says how to log in again.
    moto.faults(&serde_json::json!([{"service": "rds", "mode": "expired", "count": 10}]));
    match run(&exec, ActionKind::RebootDb { id: "ghost-db".into() }).await {
        Err(ActionError::Rejected { message }) => {
            assert!(message.contains("ExpiredToken") && message.contains("aws sso login"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    // Not an AWS action at all.
    let pod = ActionKind::DeletePod { namespace: "shop".into(), pod: "x".into() };
    assert!(matches!(run(&exec, pod).await, Err(ActionError::Unavailable { .. })));
}

#[tokio::test]
async fn the_cloudtrail_window_is_exported_whole_as_json_evidence() {
    let moto = aws::Moto::start();
    let now = chrono::Utc::now();
    let minutes = chrono::TimeDelta::minutes;
    // Three pages of events in the last hour, one before it, and one whose
    // user agent carries a terminal escape.
    let mut records: Vec<serde_json::Value> = (0..120)
        .map(|n| aws::trail_record(n, now - minutes((n % 55) as i64), "DescribeInstances", "10.0.0.5", false))
        .collect();
    records.push(aws::trail_record(500, now - minutes(120), "DeleteBucket", "10.0.0.5", false));
    let mut hostile = aws::trail_record(501, now - minutes(3), "ConsoleLogin", "203.0.113.9", true);
    hostile["userAgent"] = serde_json::json!("curl\u{1b}]52;c;cm0gLXJmIH4=\u{7}");
    records.push(hostile);
    moto.seed_trail(&serde_json::json!(records));

    let exec = executor(&moto).await;
    let scope = Scope { aws_account: aws::ACCOUNT.into(), aws_region: aws::REGION.into(), ..Scope::default() };
    let export = ActionKind::ExportTrail { start: now - chrono::TimeDelta::hours(1), end: now, window: "1h".into() };
    let done = exec.execute(Action { kind: export, scope }).await.unwrap();
    assert!(done.message.starts_with("exported 121 CloudTrail events ("), "{}", done.message);
    let [evidence] = done.evidence.as_slice() else { panic!("one file: {:?}", done.evidence) };
    assert_eq!(evidence.label, format!("cloudtrail-{}-last-1h.json", aws::REGION));

    let doc: serde_json::Value = serde_json::from_str(&evidence.text).unwrap();
    assert_eq!((doc["account"].as_str(), doc["region"].as_str()), (Some(aws::ACCOUNT), Some(aws::REGION)));
    assert_eq!((doc["event_count"].as_u64(), doc["truncated"].as_bool()), (Some(121), Some(false)));
    let events = doc["events"].as_array().unwrap();
    let times: Vec<&str> = events.iter().map(|e| e["eventTime"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "oldest first");
    assert!(events.iter().all(|e| e["eventID"] != "seed-500"), "the window only");
    // Kept exactly as recorded; the escape is JSON-escaped in the file.
    let kept = events.iter().find(|e| e["eventID"] == "seed-501").unwrap();
    assert_eq!(kept["userAgent"], "curl\u{1b}]52;c;cm0gLXJmIH4=\u{7}");
    assert!(!evidence.text.contains('\u{1b}'), "no raw escape in the file");

    // Every page, paced, and nothing but reads.
    let lookups: Vec<f64> = moto
        .console_calls()
        .iter()
        .filter(|c| c["operation"] == "LookupEvents")
        .map(|c| c["time"].as_f64().unwrap())
        .collect();
    assert_eq!(lookups.len(), 3, "pages of 50");
    assert!(lookups.windows(2).all(|w| w[1] - w[0] >= 0.45), "paced: {lookups:?}");
    assert!(moto.console_calls().iter().all(|c| c["mutating"] == false));
}
