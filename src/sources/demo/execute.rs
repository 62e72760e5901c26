//! Actions against the demo world, answered the way the real APIs answer
//! (including their refusals).

use super::*;
use crate::actions::{ISOLATION_POLICY, logs_message};
use crate::sources::aws::trail::{self, ExportMeta};

impl DemoWorld {
    /// Executes a confirmed action against the world.
    pub fn execute(&mut self, action: &Action) -> Result<Executed, String> {
        match &action.kind {
            ActionKind::CollectLogs { namespace, pod } => {
                let evidence = self.pod_logs(namespace, pod)?;
                Ok(Executed { message: logs_message(&evidence, &format!("pod {pod}")), evidence, output: None })
            }
            ActionKind::CollectDeploymentLogs { namespace, deployment, .. } => {
                if !self.deployments.contains_key(deployment) {
                    return Err(format!("deployment {deployment} not found"));
                }
                let pods: Vec<String> = self
                    .pods
                    .values()
                    .filter(|p| p.deployment.as_deref() == Some(deployment.as_str()))
                    .map(|p| p.name.clone())
                    .take(crate::actions::LOG_PODS_MAX)
                    .collect();
                let mut evidence = Vec::new();
                for pod in &pods {
                    evidence.extend(self.pod_logs(namespace, pod)?);
                }
                let what = format!("{} pods of {deployment}", pods.len());
                Ok(Executed { message: logs_message(&evidence, &what), evidence, output: None })
            }
            ActionKind::ExportTrail { start, end, window } => {
                let events: Vec<TrailEvent> =
                    self.trail_log.iter().filter(|e| e.time >= *start && e.time <= *end).cloned().collect();
                let meta = ExportMeta {
                    account: action.scope.aws_account.clone(),
                    region: action.scope.aws_region.clone(),
                    start: *start,
                    end: *end,
                    exported_at: self.now,
                    truncated: false,
                };
                Ok(Executed {
                    message: trail::export_message(&meta, events.len()),
                    evidence: vec![Evidence {
                        label: trail::export_label(&action.scope.aws_region, window),
                        text: trail::export_document(&meta, &events),
                    }],
                    output: None,
                })
            }
            _ => self.change(action).map(Executed::message),
        }
    }

    /// Every container's logs, and the previous instance's where one
    /// terminated, as `kubectl logs` would give them.
    fn pod_logs(&self, namespace: &str, pod: &str) -> Result<Vec<Evidence>, String> {
        let p = self.pods.get(pod).ok_or_else(|| format!("pod {pod} not found"))?;
        let mut out = Vec::new();
        for c in &p.containers {
            let label = format!("{namespace}-{pod}-{}", c.name);
            if let Some(t) = &c.last_termination {
                let text = super::kube::demo_logs(pod, Some(t), self.now);
                out.push(Evidence { label: format!("{label}-previous"), text });
            }
            out.push(Evidence { label, text: super::kube::demo_logs(pod, None, self.now) });
        }
        Ok(out)
    }

    /// Executes an action that changes the world.
    pub(super) fn change(&mut self, action: &Action) -> Result<String, String> {
        let now = self.now;
        match &action.kind {
            ActionKind::CollectLogs { .. }
            | ActionKind::CollectDeploymentLogs { .. }
            | ActionKind::ExportTrail { .. } => Err("collecting evidence changes nothing".into()),
            ActionKind::RunCommand { .. } | ActionKind::RunScript { .. } => {
                Err("the demo runs no commands on this machine; a live console runs it as shown".into())
            }
            ActionKind::RolloutRestart { deployment, .. } => {
                if !self.deployments.contains_key(deployment) {
                    return Err(format!("deployment {deployment} not found"));
                }
                // Kubernetes API calls are not CloudTrail events (EKS sends
                // them to its audit log): the Pods panel shows the effect.
                self.pending.push((now + secs(6), Pending::RolloutDone(deployment.clone())));
                Ok(format!("deployment.apps/{deployment} restarted"))
            }
            ActionKind::Scale { deployment, from, to, .. } | ActionKind::RestoreScale { deployment, from, to, .. } => {
                let restore = matches!(action.kind, ActionKind::RestoreScale { .. });
                let current: Vec<String> = self
                    .pods
                    .values()
                    .filter(|p| p.deployment.as_deref() == Some(deployment.as_str()) && !p.deleting)
                    .map(|p| p.name.clone())
                    .collect();
                let d =
                    self.deployments.get_mut(deployment).ok_or_else(|| format!("deployment {deployment} not found"))?;
                if d.desired != *from {
                    return Err(format!(
                        "deployment {deployment} has {} replicas now, not {from}: nothing changed",
                        d.desired
                    ));
                }
                d.desired = *to;
                d.restore_to = crate::actions::restore_after(d.restore_to, *from, *to, restore);
                let want = *to as usize;
                if current.len() < want {
                    for _ in current.len()..want {
                        self.add_pod(deployment, now, false);
                    }
                } else {
                    for name in current.iter().rev().take(current.len() - want) {
                        self.terminate(name);
                    }
                }
                self.dirty.kube = true;
                Ok(format!("deployment.apps/{deployment} scaled to {to}"))
            }
            ActionKind::IsolateNamespace { namespace } => {
                if !self.isolated.insert(namespace.clone()) {
                    return Err(format!(
                        "409 AlreadyExists: networkpolicies.networking.k8s.io \"{ISOLATION_POLICY}\" already exists"
                    ));
                }
                Ok(format!("networkpolicy.networking.k8s.io/{ISOLATION_POLICY} created in {namespace}"))
            }
            ActionKind::LiftIsolation { namespace } => {
                if !self.isolated.remove(namespace) {
                    return Err(format!(
                        "404 NotFound: networkpolicies.networking.k8s.io \"{ISOLATION_POLICY}\" not found"
                    ));
                }
                Ok(format!("networkpolicy.networking.k8s.io/{ISOLATION_POLICY} deleted from {namespace}"))
            }
            ActionKind::DeletePod { pod, .. } => {
                let dep = self.pods.get(pod).ok_or_else(|| format!("pod {pod} not found"))?.deployment.clone();
                self.terminate(pod);
                if let Some(dep) = dep {
                    self.add_pod(&dep, now, false);
                }
                Ok(format!("pod \"{pod}\" deleted"))
            }
            ActionKind::RebootDb { id } | ActionKind::FailoverDb { id } => {
                let failover = matches!(action.kind, ActionKind::FailoverDb { .. });
                let db =
                    self.dbs.iter_mut().find(|d| d.id == *id).ok_or_else(|| format!("DB instance {id} not found"))?;
                if db.status != "available" {
                    return Err(format!("InvalidDBInstanceState: instance {id} is {}, not available", db.status));
                }
                if failover && !db.multi_az {
                    return Err(format!("InvalidParameterCombination: {id} is not Multi-AZ; cannot force failover"));
                }
                db.status = "rebooting".into();
                let delay = if failover { 15 } else { 12 };
                self.pending.push((
                    now + secs(delay),
                    Pending::DbAvailable { id: id.clone(), swap_az: failover, promote: false },
                ));
                self.dirty.dbs = true;
                self.record_own_call("RebootDBInstance", "rds.amazonaws.com", id);
                Ok(format!("{id} is rebooting{}", if failover { " with failover" } else { "" }))
            }
            ActionKind::SnapshotDb { id, snapshot_id } => {
                let db = self.dbs.iter().find(|d| d.id == *id).ok_or_else(|| format!("DB instance {id} not found"))?;
                if let Some(cluster) = &db.cluster {
                    return Err(format!(
                        "InvalidParameterValue: {id} is a member of cluster {cluster}; \
                         snapshot the cluster (CreateDBClusterSnapshot)"
                    ));
                }
                self.record_own_call("CreateDBSnapshot", "rds.amazonaws.com", snapshot_id);
                Ok(format!("snapshot {snapshot_id} is creating"))
            }
            ActionKind::SnapshotCluster { cluster, snapshot_id } => {
                if !self.dbs.iter().any(|d| d.cluster.as_ref() == Some(cluster)) {
                    return Err(format!("DBClusterNotFoundFault: cluster {cluster} not found"));
                }
                self.record_own_call("CreateDBClusterSnapshot", "rds.amazonaws.com", snapshot_id);
                Ok(format!("cluster snapshot {snapshot_id} is creating"))
            }
            ActionKind::FailoverCluster { cluster, to } => {
                let members: Vec<&DbInstance> =
                    self.dbs.iter().filter(|d| d.cluster.as_ref() == Some(cluster)).collect();
                if members.is_empty() {
                    return Err(format!("DBClusterNotFoundFault: cluster {cluster} not found"));
                }
                if let Some(busy) = members.iter().find(|d| d.status != "available") {
                    return Err(format!("InvalidDBClusterStateFault: {} is {}", busy.id, busy.status));
                }
                match members.iter().find(|d| d.id == *to) {
                    None => return Err(format!("InvalidParameterValue: {to} is not a member of {cluster}")),
                    Some(d) if d.replica_of.is_none() => {
                        return Err(format!("InvalidParameterValue: {to} is already the writer of {cluster}"));
                    }
                    Some(_) => {}
                }
                for db in self.dbs.iter_mut().filter(|d| d.cluster.as_ref() == Some(cluster)) {
                    db.status = "rebooting".into();
                }
                self.pending
                    .push((now + secs(15), Pending::ClusterFailedOver { cluster: cluster.clone(), to: to.clone() }));
                self.dirty.dbs = true;
                self.record_own_call("FailoverDBCluster", "rds.amazonaws.com", cluster);
                Ok(format!("cluster {cluster} is failing over to {to}"))
            }
            ActionKind::PromoteReplica { id } => {
                let db =
                    self.dbs.iter_mut().find(|d| d.id == *id).ok_or_else(|| format!("DB instance {id} not found"))?;
                if db.replica_of.is_none() || db.cluster.is_some() {
                    return Err(format!("InvalidDBInstanceState: {id} is not a read replica"));
                }
                db.status = "modifying".into();
                self.pending
                    .push((now + secs(10), Pending::DbAvailable { id: id.clone(), swap_az: false, promote: true }));
                self.dirty.dbs = true;
                self.record_own_call("PromoteReadReplica", "rds.amazonaws.com", id);
                Ok(format!("{id} is being promoted to a standalone instance"))
            }
            ActionKind::SetAlarmActions { alarm, enabled } => {
                let a = self
                    .alarms
                    .iter_mut()
                    .find(|a| a.name == *alarm)
                    .ok_or_else(|| format!("alarm {alarm} not found"))?;
                a.actions_enabled = *enabled;
                self.dirty.alarms = true;
                let verb = if *enabled { "EnableAlarmActions" } else { "DisableAlarmActions" };
                self.record_own_call(verb, "monitoring.amazonaws.com", alarm);
                Ok(format!("actions {} for {alarm}", if *enabled { "enabled" } else { "disabled" }))
            }
        }
    }
}
