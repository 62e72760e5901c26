//! The actions offered for a selected item, built from what is known about
//! it so the menu never offers what cannot work (a failover for an
//! instance that is not Multi-AZ, a scale-down below one replica, a
//! restore with nothing recorded). One exception: whether a namespace is
//! isolated is not watched, so isolating and lifting are both offered
//! (the API answers 409 or 404 to the one that does not apply).

use super::{Action, ActionKind, Scope};
use crate::model::{Alarm, DbInstance, Deployment, Pod};

/// Actions offered for a pod: its own, its deployment's (when it has one
/// and the deployment is known) and its namespace's.
pub fn for_pod(pod: &Pod, deployment: Option<&Deployment>, scope: &Scope) -> Vec<Action> {
    let mk = |kind| Action { kind, scope: scope.clone() };
    let namespace = || pod.namespace.to_string();
    let mut out = vec![mk(ActionKind::CollectLogs { namespace: namespace(), pod: pod.name.clone() })];
    if let Some(d) = deployment {
        let name = || d.name.clone();
        if !d.selector.is_empty() {
            out.push(mk(ActionKind::CollectDeploymentLogs {
                namespace: namespace(),
                deployment: name(),
                selector: d.selector.clone(),
            }));
        }
        out.push(mk(ActionKind::RolloutRestart { namespace: namespace(), deployment: name() }));
        let from = d.desired;
        if let Some(to) = d.restorable() {
            out.push(mk(ActionKind::RestoreScale { namespace: namespace(), deployment: name(), from, to }));
        }
        let scale = |to| mk(ActionKind::Scale { namespace: namespace(), deployment: name(), from, to });
        out.push(scale(from + 1));
        if from > 1 {
            out.push(scale(from - 1));
        }
        if from > 0 {
            out.push(scale(0));
        }
    }
    out.push(mk(ActionKind::DeletePod { namespace: namespace(), pod: pod.name.clone() }));
    out.push(mk(ActionKind::IsolateNamespace { namespace: namespace() }));
    out.push(mk(ActionKind::LiftIsolation { namespace: namespace() }));
    out
}

/// The restores of deployments scaled down from this console, which have
/// no pods left to select once at zero: by namespace and name.
pub fn restores<'a>(deployments: impl IntoIterator<Item = &'a Deployment>, scope: &Scope) -> Vec<Action> {
    let mut ds: Vec<&Deployment> = deployments.into_iter().filter(|d| d.restorable().is_some()).collect();
    ds.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    ds.into_iter()
        .filter_map(|d| {
            let kind = ActionKind::RestoreScale {
                namespace: d.namespace.clone(),
                deployment: d.name.clone(),
                from: d.desired,
                to: d.restorable()?,
            };
            Some(Action { kind, scope: scope.clone() })
        })
        .collect()
}

/// Actions offered for an RDS instance; `all` is every known instance (to
/// find cluster readers), `stamp` names a new snapshot. A cluster member's
/// data lives in its cluster, so its snapshot is the cluster's.
pub fn for_db(db: &DbInstance, all: &[&DbInstance], stamp: &str, scope: &Scope) -> Vec<Action> {
    let mk = |kind| Action { kind, scope: scope.clone() };
    let id = db.id.clone();
    let snapshot = match &db.cluster {
        Some(cluster) => {
            ActionKind::SnapshotCluster { cluster: cluster.clone(), snapshot_id: format!("{cluster}-warroom-{stamp}") }
        }
        None => ActionKind::SnapshotDb { id: id.clone(), snapshot_id: format!("{id}-warroom-{stamp}") },
    };
    let mut out = vec![mk(snapshot)];
    if db.status != "available" {
        return out;
    }
    out.push(mk(ActionKind::RebootDb { id: id.clone() }));
    match (&db.cluster, &db.replica_of) {
        // A cluster writer fails over to each available reader.
        (Some(cluster), None) => {
            let mut readers: Vec<&&DbInstance> = all
                .iter()
                .filter(|r| r.cluster.as_ref() == Some(cluster) && r.replica_of.is_some() && r.status == "available")
                .collect();
            readers.sort_by(|a, b| a.id.cmp(&b.id));
            for r in readers {
                out.push(mk(ActionKind::FailoverCluster { cluster: cluster.clone(), to: r.id.clone() }));
            }
        }
        (Some(_), Some(_)) => {}
        (None, None) if db.multi_az => out.push(mk(ActionKind::FailoverDb { id })),
        (None, None) => {}
        (None, Some(_)) => out.push(mk(ActionKind::PromoteReplica { id })),
    }
    out
}

/// The CloudTrail panel's window, `window` up to `now`, as evidence.
pub fn for_trail(
    now: chrono::DateTime<chrono::Utc>,
    window: chrono::TimeDelta,
    label: &str,
    scope: &Scope,
) -> Vec<Action> {
    vec![Action {
        kind: ActionKind::ExportTrail { start: now - window, end: now, window: label.to_string() },
        scope: scope.clone(),
    }]
}

/// Actions offered for an alarm.
pub fn for_alarm(alarm: &Alarm, scope: &Scope) -> Vec<Action> {
    vec![Action {
        kind: ActionKind::SetAlarmActions { alarm: alarm.name.clone(), enabled: !alarm.actions_enabled },
        scope: scope.clone(),
    }]
}
