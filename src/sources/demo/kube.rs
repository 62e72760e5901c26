//! The cluster side of the demo: pods, their crash loop and restarts,
//! rollouts, Warning events and container logs.

use super::*;

impl DemoWorld {
    pub(super) fn add_pod(&mut self, deployment: &str, created: DateTime<Utc>, ready: bool) -> String {
        let Some(dep) = self.deployments.get(deployment).cloned() else { return String::new() };
        let name = format!("{deployment}-{}-{}", dep.template_hash, self.token(5));
        let node = format!("ip-10-0-{}-{}", self.rng.u8(1..4), self.rng.u8(10..250));
        let state = if ready {
            ContainerState::Running { since: created }
        } else {
            ContainerState::Waiting { reason: "ContainerCreating".into(), message: None }
        };
        let pod = Pod {
            namespace: NAMESPACE.into(),
            name: name.clone(),
            deployment: Some(deployment.into()),
            replica_set: Some(format!("{deployment}-{}", dep.template_hash).into()),
            phase: if ready { "Running".into() } else { "Pending".into() },
            node: Some(node.into()),
            created,
            containers: vec![Container {
                name: deployment.into(),
                image: dep.image.as_str().into(),
                ready,
                started: Some(ready),
                restarts: 0,
                state,
                ..Container::default()
            }],
            conditions: Conditions { ready, initialized: true, unscheduled: None },
            ..Pod::default()
        };
        self.pods.insert(name.clone(), pod);
        self.changed_pods.push(name.clone());
        if !ready {
            self.pending.push((self.now + secs(4), Pending::PodReady(name.clone())));
        }
        name
    }

    pub(super) fn kube_side_updates(&self) -> Vec<SourceUpdate> {
        let deployments = self
            .deployments
            .iter()
            .map(|(name, d)| {
                let pods: Vec<&Pod> =
                    self.pods.values().filter(|p| p.deployment.as_deref() == Some(name) && !p.deleting).collect();
                let ready = pods.iter().filter(|p| p.containers.iter().all(|c| c.ready)).count() as u32;
                let updated = pods.iter().filter(|p| p.name.contains(&d.template_hash)).count() as u32;
                Deployment {
                    namespace: NAMESPACE.into(),
                    name: name.clone(),
                    desired: d.desired,
                    ready,
                    updated,
                    available: ready,
                    rollout: if updated < d.desired {
                        Rollout::Progressing(Waiting::Updated { updated, desired: d.desired })
                    } else if pods.len() as u32 > updated {
                        Rollout::Progressing(Waiting::OldPending(pods.len() as u32 - updated))
                    } else if ready < updated {
                        Rollout::Progressing(Waiting::Available { available: ready, updated })
                    } else {
                        Rollout::Complete
                    },
                    selector: format!("app={name}"),
                    restore_to: d.restore_to,
                    revision: Some(d.revision),
                }
            })
            .collect();
        let replica_sets = self.deployments.iter().flat_map(|(name, d)| self.replica_sets(name, d)).collect();
        let mut events = self.events.clone();
        events.sort_by_key(|e| std::cmp::Reverse(e.last_seen));
        events.truncate(50);
        vec![
            self.data(FeedData::Deployments(Delta::Reset(deployments))),
            self.data(FeedData::ReplicaSets(Delta::Reset(replica_sets))),
            self.data(FeedData::KubeEvents(Delta::Reset(events))),
        ]
    }

    /// A deployment's ReplicaSets: the current revision's wants every
    /// replica, older ones none and keep their pods until they are gone.
    fn replica_sets(&self, name: &str, d: &DeployState) -> Vec<ReplicaSet> {
        let current = (d.revision, d.template_hash.clone(), d.since);
        d.history
            .iter()
            .cloned()
            .chain(std::iter::once(current))
            .map(|(revision, hash, created)| {
                let pods: Vec<&Pod> = self.pods.values().filter(|p| p.name.contains(&hash) && !p.deleting).collect();
                let ready = pods.iter().filter(|p| p.containers.iter().all(|c| c.ready)).count() as u32;
                ReplicaSet {
                    namespace: NAMESPACE.into(),
                    name: format!("{name}-{hash}"),
                    deployment: Some(name.to_string()),
                    revision: Some(revision),
                    desired: if revision == d.revision { d.desired } else { 0 },
                    replicas: pods.len() as u32,
                    ready,
                    available: ready,
                    created,
                }
            })
            .collect()
    }

    pub(super) fn pod_broken(&self, name: &str) -> bool {
        self.pods
            .get(name)
            .and_then(|p| p.deployment.as_ref())
            .and_then(|d| self.deployments.get(&**d))
            .is_some_and(|d| d.broken)
    }

    pub(super) fn crash(&mut self, name: &str) {
        let now = self.now;
        let oom = self.rng.u8(0..4) == 0;
        let Some(pod) = self.pods.get_mut(name) else { return };
        for c in &mut pod.containers {
            c.ready = false;
            c.restarts += 1;
            c.last_termination = Some(Box::new(Termination {
                reason: if oom { "OOMKilled".into() } else { "Error".into() },
                exit_code: if oom { 137 } else { 1 },
                signal: 0,
                finished: Some(now),
            }));
            c.state = ContainerState::Waiting {
                reason: "CrashLoopBackOff".into(),
                message: Some(format!("back-off 10s restarting failed container={} pod={name}", c.name)),
            };
        }
        pod.restart_times.push(now);
        self.changed_pods.push(name.to_string());
        self.dirty.kube = true;
        self.warning(name, "BackOff", "Back-off restarting failed container");
        let msg = if oom {
            "Container backend was OOMKilled (exit code 137, limit 512Mi)".to_string()
        } else {
            "Liveness probe failed: HTTP probe failed with statuscode: 503".to_string()
        };
        self.warning(name, if oom { "OOMKilling" } else { "Unhealthy" }, &msg);
    }

    pub(super) fn crashloop_restarts(&mut self) {
        let now = self.now;
        let due: Vec<String> = self
            .pods
            .values()
            .filter(|p| p.status() == "CrashLoopBackOff" && !p.deleting)
            .filter(|p| {
                let n = p.restarts().min(5);
                let backoff = 10 * (1 << (n - 1).min(3)) as i64;
                p.restart_times.last().is_some_and(|t| now - *t >= secs(backoff.min(60)))
            })
            .map(|p| p.name.clone())
            .collect();
        for name in due {
            self.crash(&name);
        }
    }

    pub(super) fn warning(&mut self, pod: &str, reason: &str, message: &str) {
        let object = format!("Pod/{pod}");
        if let Some(ev) = self.events.iter_mut().find(|e| e.object == object && e.reason == reason) {
            ev.count += 1;
            ev.last_seen = self.now;
        } else {
            self.events.push(KubeEvent {
                namespace: NAMESPACE.into(),
                name: format!("{pod}.{}", reason.to_ascii_lowercase()),
                object,
                reason: reason.into(),
                message: message.into(),
                count: 1,
                last_seen: self.now,
                warning: true,
            });
        }
        self.dirty.kube = true;
    }

    pub(super) fn finish_rollout(&mut self, dep: &str) {
        let old: Vec<String> = self
            .pods
            .values()
            .filter(|p| p.deployment.as_deref() == Some(dep) && !p.deleting)
            .map(|p| p.name.clone())
            .collect();
        if dep == "backend" {
            self.fixed_at = Some(self.now);
            if let Some(d) = self.deployments.get_mut(dep) {
                d.broken = false;
            }
        }
        let hash = self.token(10);
        let now = self.now;
        let desired = match self.deployments.get_mut(dep) {
            Some(d) => {
                let old = std::mem::replace(&mut d.template_hash, hash);
                d.history.push((d.revision, old, d.since));
                d.revision += 1;
                d.since = now;
                d.desired
            }
            None => return,
        };
        for _ in 0..desired {
            let now = self.now;
            self.add_pod(dep, now, false);
        }
        for name in old {
            self.terminate(&name);
        }
        self.dirty.kube = true;
    }

    pub(super) fn terminate(&mut self, name: &str) {
        if let Some(p) = self.pods.get_mut(name) {
            p.deleting = true;
            for c in &mut p.containers {
                c.ready = false;
            }
            self.changed_pods.push(name.to_string());
            self.pending.push((self.now + secs(3), Pending::PodGone(name.to_string())));
            self.dirty.kube = true;
        }
    }
}

/// The log tail a container in the demo writes: request lines, and for a
/// container that terminated, what it said before it died.
pub(super) fn demo_logs(pod: &str, termination: Option<&crate::model::Termination>, now: DateTime<Utc>) -> String {
    let end = termination.and_then(|t| t.finished).unwrap_or(now);
    let ending: &[&str] = match termination {
        Some(t) if t.reason == "OOMKilled" => {
            &["level=warn msg=\"heap usage high\" heap_mb=1843 limit_mb=2048", "fatal error: runtime: out of memory"]
        }
        Some(_) => &[
            "level=error msg=\"connecting to orders-db\" err=\"pq: too many connections for role \\\"backend\\\"\"",
            "level=error msg=\"health check failed\" check=database",
            "panic: pq: too many connections for role \"backend\"",
            "goroutine 1 [running]:",
            "main.main()",
            "\t/src/cmd/backend/main.go:88 +0x2b4",
        ],
        None => &[],
    };
    let started = if termination.is_some() { 118 } else { LOG_TAIL_LINES };
    let body = started.min(LOG_TAIL_LINES - ending.len());
    let mut out = String::new();
    for i in 0..body + ending.len() {
        let at = end - TimeDelta::milliseconds(((body + ending.len() - i) * 740) as i64);
        let stamp = at.format("%Y-%m-%dT%H:%M:%S%.3fZ");
        let line = match (i, ending.get(i.wrapping_sub(body))) {
            (_, Some(last)) => (*last).to_string(),
            (0, _) if termination.is_some() => format!("level=info msg=\"starting\" pod={pod} version=1.18.4"),
            (_, _) if i % 9 == 4 => "level=info msg=\"GET /healthz\" status=200 duration_ms=1.2".to_string(),
            _ => format!(
                "level=info msg=\"{} /api/orders/{}\" status=200 duration_ms={}.{}",
                if i % 5 == 0 { "POST" } else { "GET" },
                40_000 + i * 37 % 9_000,
                3 + i * 13 % 40,
                i * 7 % 10
            ),
        };
        // The service logs logfmt with a timestamp; a Go panic does not.
        if line.starts_with("level=") {
            out.push_str(&format!("ts={stamp} {line}\n"));
        } else {
            out.push_str(&format!("{line}\n"));
        }
    }
    out
}
