//! Kubernetes objects into the console's model: pure functions, kept to
//! the fields the console shows, so nothing else of an object (managed
//! fields, annotations, specs) is held in memory.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, Time};

use crate::model::{
    Conditions, Container, ContainerState, Deployment, KubeEvent, Pod, ReplicaSet, Rollout, Termination, Waiting,
};

/// The label a ReplicaSet's pods carry; a deployment's ReplicaSet is named
/// `<deployment>-<hash>`.
const TEMPLATE_HASH: &str = "pod-template-hash";

/// The strings many pods share (namespaces, owners, nodes, images,
/// phases), each held once however many pods name it. The source keeps
/// one per watcher; names no pod holds any more are forgotten as it grows.
#[derive(Debug, Default)]
pub struct Names {
    held: HashSet<Arc<str>>,
    /// How many were in use at the last look: the next comes at twice that.
    in_use: usize,
}

impl Names {
    pub fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(name) = self.held.get(s) {
            return name.clone();
        }
        if self.held.len() >= 2 * self.in_use + 1024 {
            self.held.retain(|n| Arc::strong_count(n) > 1);
            self.in_use = self.held.len();
        }
        let name: Arc<str> = s.into();
        self.held.insert(name.clone());
        name
    }

    fn opt(&mut self, s: Option<&str>) -> Option<Arc<str>> {
        s.map(|s| self.get(s))
    }

    /// How many names are held.
    pub fn len(&self) -> usize {
        self.held.len()
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }
}

pub fn time(t: &Time) -> DateTime<Utc> {
    let ts = t.0;
    DateTime::from_timestamp(ts.as_second(), u32::try_from(ts.subsec_nanosecond()).unwrap_or(0)).unwrap_or_default()
}

fn created(meta: &ObjectMeta) -> DateTime<Utc> {
    meta.creation_timestamp.as_ref().map(time).unwrap_or_default()
}

fn text(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

/// The owner of a kind (the controller's, when it says which).
fn owner<'a>(meta: &'a ObjectMeta, kind: &str) -> Option<&'a str> {
    let owners = meta.owner_references.as_ref()?.iter().filter(|o| o.kind == kind);
    let mut owners = owners.collect::<Vec<_>>();
    owners.sort_by_key(|o| !o.controller.unwrap_or(false));
    owners.first().map(|o| o.name.as_str())
}

/// The ReplicaSet that owns a pod, and its deployment: the ReplicaSet's
/// name without the pod template hash.
fn owner_deployment(meta: &ObjectMeta) -> (Option<&str>, Option<&str>) {
    let Some(rs) = owner(meta, "ReplicaSet") else { return (None, None) };
    let hash = meta.labels.as_ref().and_then(|l| l.get(TEMPLATE_HASH));
    let deployment = hash.and_then(|h| rs.strip_suffix(h.as_str())?.strip_suffix('-'));
    (deployment, Some(rs))
}

fn termination(t: &core::ContainerStateTerminated) -> Termination {
    Termination {
        reason: t.reason.clone().unwrap_or_default(),
        exit_code: t.exit_code,
        signal: t.signal.unwrap_or(0),
        finished: t.finished_at.as_ref().map(time),
    }
}

/// A container's state as its status reports it; a status that names no
/// state is waiting without a reason, as the printer reads it.
fn container_state(s: Option<&core::ContainerState>, created: DateTime<Utc>) -> ContainerState {
    let Some(s) = s else { return ContainerState::Waiting { reason: String::new(), message: None } };
    if let Some(t) = &s.terminated {
        return ContainerState::Terminated(termination(t));
    }
    if let Some(w) = &s.waiting {
        return ContainerState::Waiting { reason: w.reason.clone().unwrap_or_default(), message: w.message.clone() };
    }
    match &s.running {
        Some(r) => ContainerState::Running { since: r.started_at.as_ref().map_or(created, time) },
        None => ContainerState::Waiting { reason: String::new(), message: None },
    }
}

fn container(
    s: &core::ContainerStatus,
    spec: Option<&core::Container>,
    created: DateTime<Utc>,
    names: &mut Names,
) -> Container {
    Container {
        name: names.get(&s.name),
        image: names.get(if s.image.is_empty() {
            spec.and_then(|c| c.image.as_deref()).unwrap_or_default()
        } else {
            &s.image
        }),
        ready: s.ready,
        started: s.started,
        sidecar: spec.is_some_and(sidecar),
        restarts: u32::try_from(s.restart_count).unwrap_or(0),
        state: container_state(s.state.as_ref(), created),
        last_termination: s.last_state.as_ref().and_then(|l| l.terminated.as_ref()).map(|t| Box::new(termination(t))),
    }
}

/// An init container that keeps running beside the app (a sidecar).
fn sidecar(c: &core::Container) -> bool {
    c.restart_policy.as_deref() == Some("Always")
}

/// The containers of one kind: those with a status in status order (the
/// order the printer walks), then the ones the spec names without one.
fn containers(
    specs: &[core::Container],
    statuses: &[core::ContainerStatus],
    created: DateTime<Utc>,
    names: &mut Names,
) -> Vec<Container> {
    let mut out: Vec<Container> =
        statuses.iter().map(|s| container(s, specs.iter().find(|c| c.name == s.name), created, names)).collect();
    for c in specs.iter().filter(|c| !statuses.iter().any(|s| s.name == c.name)) {
        out.push(Container {
            name: names.get(&c.name),
            image: names.get(c.image.as_deref().unwrap_or_default()),
            sidecar: sidecar(c),
            ..Container::default()
        });
    }
    out
}

/// The conditions the printer and the health rules read.
fn conditions(status: Option<&core::PodStatus>) -> Conditions {
    let all = status.and_then(|s| s.conditions.as_deref()).unwrap_or_default();
    let is_true = |t: &str| all.iter().any(|c| c.type_ == t && c.status == "True");
    let unscheduled = all
        .iter()
        .find(|c| c.type_ == "PodScheduled" && c.status == "False")
        .map(|c| Box::new((c.reason.clone().unwrap_or_default(), c.message.clone().unwrap_or_default())));
    Conditions { ready: is_true("Ready"), initialized: is_true("Initialized"), unscheduled }
}

/// A pod as the Pods panel shows it. Restart times are derived by the
/// store from the restart counts it sees change. Shared strings come from
/// `names`.
pub fn pod(p: &core::Pod, names: &mut Names) -> Pod {
    let meta = &p.metadata;
    let created = created(meta);
    let status = p.status.as_ref();
    let spec = p.spec.as_ref();
    let (deployment, replica_set) = owner_deployment(meta);
    let statuses = |f: fn(&core::PodStatus) -> Option<&Vec<core::ContainerStatus>>| {
        status.and_then(f).map(Vec::as_slice).unwrap_or_default()
    };
    Pod {
        namespace: names.get(meta.namespace.as_deref().unwrap_or_default()),
        name: text(&meta.name),
        deployment: names.opt(deployment),
        replica_set: names.opt(replica_set),
        phase: names.get(status.and_then(|s| s.phase.as_deref()).unwrap_or_default()),
        node: names.opt(spec.and_then(|s| s.node_name.as_deref())),
        created,
        init_containers: containers(
            spec.and_then(|s| s.init_containers.as_deref()).unwrap_or_default(),
            statuses(|s| s.init_container_statuses.as_ref()),
            created,
            names,
        ),
        containers: containers(
            spec.map(|s| s.containers.as_slice()).unwrap_or_default(),
            statuses(|s| s.container_statuses.as_ref()),
            created,
            names,
        ),
        restart_times: Vec::new(),
        reason: status.and_then(|s| s.reason.clone()).filter(|r| !r.is_empty()),
        message: status.and_then(|s| s.message.clone()).filter(|m| !m.is_empty()),
        conditions: conditions(status),
        deleting: meta.deletion_timestamp.is_some(),
        seen: Default::default(),
    }
}

/// A replica count from the API (unset is zero, as the status means it).
fn count(v: Option<i32>) -> u32 {
    u32::try_from(v.unwrap_or(0)).unwrap_or(0)
}

pub fn deployment(d: &apps::Deployment) -> Deployment {
    let status = d.status.as_ref();
    // An unset replica count means one.
    let desired = count(Some(d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)));
    let restore_to = d
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(crate::actions::RESTORE_ANNOTATION))
        .and_then(|v| v.trim().parse().ok());
    Deployment {
        namespace: text(&d.metadata.namespace),
        name: text(&d.metadata.name),
        desired,
        ready: count(status.and_then(|s| s.ready_replicas)),
        updated: count(status.and_then(|s| s.updated_replicas)),
        available: count(status.and_then(|s| s.available_replicas)),
        rollout: rollout(d, desired),
        selector: d.spec.as_ref().map(|s| selector(&s.selector)).unwrap_or_default(),
        restore_to,
        revision: revision(&d.metadata),
    }
}

/// A ReplicaSet: its deployment, revision and replica counts.
pub fn replica_set(r: &apps::ReplicaSet) -> ReplicaSet {
    let status = r.status.as_ref();
    let meta = &r.metadata;
    ReplicaSet {
        namespace: text(&meta.namespace),
        name: text(&meta.name),
        deployment: owner(meta, "Deployment").map(str::to_string),
        revision: revision(meta),
        desired: count(Some(r.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1))),
        replicas: status.map_or(0, |s| count(Some(s.replicas))),
        ready: count(status.and_then(|s| s.ready_replicas)),
        available: count(status.and_then(|s| s.available_replicas)),
        created: created(meta),
    }
}

/// `deployment.kubernetes.io/revision`, on a deployment or its ReplicaSet.
fn revision(meta: &ObjectMeta) -> Option<u32> {
    meta.annotations.as_ref()?.get("deployment.kubernetes.io/revision")?.trim().parse().ok()
}

/// The rollout's state by the rules `kubectl rollout status` applies,
/// in its order.
pub fn rollout(d: &apps::Deployment, desired: u32) -> Rollout {
    let Some(status) = &d.status else { return Rollout::Progressing(Waiting::SpecUpdate) };
    if d.metadata.generation.unwrap_or(0) > status.observed_generation.unwrap_or(0) {
        return Rollout::Progressing(Waiting::SpecUpdate);
    }
    let stalled = status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == "Progressing" && c.reason.as_deref() == Some("ProgressDeadlineExceeded"));
    if let Some(c) = stalled {
        return Rollout::Stalled(c.message.clone().unwrap_or_else(|| "progress deadline exceeded".into()));
    }
    let updated = count(status.updated_replicas);
    let (total, available) = (count(status.replicas), count(status.available_replicas));
    if updated < desired {
        Rollout::Progressing(Waiting::Updated { updated, desired })
    } else if total > updated {
        Rollout::Progressing(Waiting::OldPending(total - updated))
    } else if available < updated {
        Rollout::Progressing(Waiting::Available { available, updated })
    } else {
        Rollout::Complete
    }
}

/// A label selector as `kubectl -l` takes it: `app=web,tier in (a,b)`.
pub fn selector(s: &LabelSelector) -> String {
    let mut parts: Vec<String> = s.match_labels.iter().flatten().map(|(k, v)| format!("{k}={v}")).collect();
    for e in s.match_expressions.iter().flatten() {
        let values = e.values.as_deref().unwrap_or_default().join(",");
        parts.push(match e.operator.as_str() {
            "In" => format!("{} in ({values})", e.key),
            "NotIn" => format!("{} notin ({values})", e.key),
            "Exists" => e.key.clone(),
            "DoesNotExist" => format!("!{}", e.key),
            other => format!("{} {other} ({values})", e.key),
        });
    }
    parts.join(",")
}

/// A core/v1 Event; `None` for events without an involved object.
pub fn event(e: &core::Event) -> Option<KubeEvent> {
    let obj = &e.involved_object;
    let kind = obj.kind.as_deref()?;
    let name = obj.name.as_deref()?;
    // Events recorded through events.k8s.io keep their repeats in a series
    // and may leave the older count and timestamps unset.
    let series = e.series.as_ref();
    let last = series
        .and_then(|s| s.last_observed_time.as_ref())
        .map(|t| time(&Time(t.0)))
        .or_else(|| e.last_timestamp.as_ref().map(time))
        .or_else(|| e.event_time.as_ref().map(|t| time(&Time(t.0))))
        .or_else(|| e.first_timestamp.as_ref().map(time))
        .unwrap_or_else(|| created(&e.metadata));
    let count = series.and_then(|s| s.count).or(e.count);
    Some(KubeEvent {
        namespace: obj.namespace.clone().or_else(|| e.metadata.namespace.clone()).unwrap_or_default(),
        name: text(&e.metadata.name),
        object: format!("{kind}/{name}"),
        reason: text(&e.reason),
        message: text(&e.message),
        count: count.and_then(|c| u32::try_from(c).ok()).filter(|c| *c > 0).unwrap_or(1),
        last_seen: last,
        warning: e.type_.as_deref() == Some("Warning"),
    })
}

#[cfg(test)]
mod tests;
