//! Actions against the demo world, answered the way the real APIs answer
//! (including their refusals).

use super::*;

impl DemoWorld {
    /// Executes a confirmed action against the world.
    pub fn execute(&mut self, action: &Action) -> Result<Executed, String> {
        match &action.kind {
            ActionKind::CollectLogs { namespace, pod, container, previous } => {
                let p = self.pods.get(pod).ok_or_else(|| format!("pod {pod} not found"))?;
                let c = p
                    .containers
                    .iter()
                    .find(|c| c.name == *container)
                    .ok_or_else(|| format!("container {container} is not in pod {pod}"))?;
                let termination = if *previous {
                    Some(c.last_termination.as_ref().ok_or_else(|| {
                        format!("previous terminated container \"{container}\" in pod \"{pod}\" not found")
                    })?)
                } else {
                    None
                };
                let text = super::kube::demo_logs(pod, termination, self.now);
                let lines = text.lines().count();
                let which = if *previous { "previous " } else { "" };
                Ok(Executed {
                    message: format!("collected {lines} lines of {pod}/{container} ({which}logs)"),
                    evidence: Some(Evidence { label: format!("{namespace}-{pod}-{container}"), text }),
                })
            }
            _ => self.change(action).map(Executed::message),
        }
    }

    /// Executes an action that changes the world.
    pub(super) fn change(&mut self, action: &Action) -> Result<String, String> {
        let now = self.now;
        match &action.kind {
            ActionKind::CollectLogs { .. } => Err("collecting logs changes nothing".into()),
            ActionKind::RolloutRestart { deployment, .. } => {
                if !self.deployments.contains_key(deployment) {
                    return Err(format!("deployment {deployment} not found"));
                }
                // Kubernetes API calls are not CloudTrail events (EKS sends
                // them to its audit log): the Pods panel shows the effect.
                self.pending.push((now + secs(6), Pending::RolloutDone(deployment.clone())));
                Ok(format!("deployment.apps/{deployment} restarted"))
            }
            ActionKind::Scale { deployment, to, .. } => {
                let current: Vec<String> = self
                    .pods
                    .values()
                    .filter(|p| p.deployment.as_deref() == Some(deployment.as_str()) && !p.deleting)
                    .map(|p| p.name.clone())
                    .collect();
                let d =
                    self.deployments.get_mut(deployment).ok_or_else(|| format!("deployment {deployment} not found"))?;
                d.desired = *to;
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
