use serde_json::json;

use super::*;

fn kpod(name: &str) -> KPod {
    serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": "shop", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {"containers": [{"name": "app", "image": "img"}]},
        "status": {"phase": "Running"}
    }))
    .unwrap()
}

/// The pod keys an update adds or removes, as `+name` / `-name`.
fn summary(out: &[FeedUpdate]) -> Vec<String> {
    let mut s = Vec::new();
    for u in out {
        match u {
            FeedUpdate::Signal(FeedSignal::Syncing) => s.push("syncing".to_string()),
            FeedUpdate::Signal(other) => s.push(format!("{other:?}")),
            FeedUpdate::Listed => s.push("listed".into()),
            FeedUpdate::Data(FeedData::Pods(Delta::Upsert(p))) => {
                s.push(format!("+{}", p.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(",")))
            }
            FeedUpdate::Data(FeedData::Pods(Delta::Delete(k))) => s.push(format!("-{}", k.join(","))),
            FeedUpdate::Data(other) => s.push(format!("{other:?}")),
        }
    }
    s
}

fn list(m: &mut Mirror<KPod>, names: &[&str]) -> Vec<String> {
    let mut out = m.on(Event::Init);
    for n in names {
        out.extend(m.on(Event::InitApply(kpod(n))));
    }
    out.extend(m.on(Event::InitDone));
    summary(&out)
}

#[test]
fn a_list_syncs_then_lists_and_a_relist_removes_what_is_gone() {
    let mut m = Mirror::<KPod>::new();
    assert_eq!(list(&mut m, &["a", "b"]), ["syncing", "+a,b", "listed"]);
    assert_eq!(summary(&m.on(Event::Apply(kpod("c")))), ["+c"]);
    assert_eq!(summary(&m.on(Event::Delete(kpod("a")))), ["-shop/a"]);
    // After a 410 the watcher lists again: b was deleted meanwhile, d added.
    assert_eq!(list(&mut m, &["c", "d"]), ["syncing", "+c,d", "-shop/b", "listed"]);
}

#[test]
fn a_long_list_arrives_page_by_page() {
    let mut m = Mirror::<KPod>::new();
    let names: Vec<String> = (0..PAGE * 2 + 3).map(|i| format!("p{i}")).collect();
    let mut out = m.on(Event::Init);
    let mut first_page_at = None;
    for (i, n) in names.iter().enumerate() {
        out.extend(m.on(Event::InitApply(kpod(n))));
        if first_page_at.is_none() && out.len() > 1 {
            first_page_at = Some(i + 1);
        }
    }
    out.extend(m.on(Event::InitDone));
    assert_eq!(first_page_at, Some(PAGE), "the first page is sent before the list ends");
    let sizes: Vec<usize> = out
        .iter()
        .filter_map(|u| match u {
            FeedUpdate::Data(FeedData::Pods(Delta::Upsert(p))) => Some(p.len()),
            _ => None,
        })
        .collect();
    assert_eq!(sizes, [PAGE, PAGE, 3]);
}

fn kubeconfig() -> kube::config::Kubeconfig {
    kube::config::Kubeconfig::from_yaml(
        "apiVersion: v1\nkind: Config\ncurrent-context: prod\nclusters: []\nusers: []\ncontexts:\n\
         - name: prod\n  context: {cluster: c, user: u, namespace: shop}\n\
         - name: staging\n  context: {cluster: c, user: u}\n",
    )
    .unwrap()
}

#[test]
fn namespaces_come_from_flags_then_config_then_the_context() {
    let k = kubeconfig();
    let ns = |ctx: Option<&str>, flags: &[&str], all: bool, config: Option<&str>| {
        let flags: Vec<String> = flags.iter().map(|s| s.to_string()).collect();
        resolve(ctx, &flags, all, config, Some(&k)).unwrap().namespaces
    };
    assert_eq!(ns(None, &["a", "b"], false, Some("c")), ["a", "b"]);
    assert!(ns(None, &[], true, Some("c")).is_empty(), "-A is every namespace");
    assert_eq!(ns(None, &[], false, Some("c")), ["c"]);
    assert_eq!(ns(None, &[], false, None), ["shop"], "the current context's namespace");
    assert!(ns(Some("staging"), &[], false, None).is_empty(), "a context without one: all");
}

#[test]
fn a_context_the_kubeconfig_lacks_is_an_error_that_lists_the_ones_it_has() {
    let err = resolve(Some("prd"), &[], false, None, Some(&kubeconfig())).unwrap_err();
    assert!(err.contains("no context named `prd` (contexts there: prod, staging)"), "{err}");
    let err = resolve(Some("prod"), &[], false, None, None).unwrap_err();
    assert!(err.contains("(contexts there: none)"), "{err}");
}

#[test]
fn contexts_name_their_server_host_and_default_namespace() {
    let kubeconfig: kube::config::Kubeconfig = serde_json::from_value(json!({
        "clusters": [
            {"name": "prod", "cluster": {"server": "https://ABC.gr7.eu-west-1.eks.amazonaws.com"}},
            {"name": "local", "cluster": {"server": "https://127.0.0.1:6443/"}}
        ],
        "contexts": [
            {"name": "prod-admin", "context": {"cluster": "prod", "user": "a", "namespace": "shop"}},
            {"name": "kind", "context": {"cluster": "local", "user": "b"}},
            {"name": "dangling", "context": {"cluster": "gone", "user": "c"}}
        ]
    }))
    .unwrap();
    let got = contexts(&kubeconfig);
    let view: Vec<(&str, &str, Option<&str>)> =
        got.iter().map(|c| (c.name.as_str(), c.cluster.as_str(), c.namespace.as_deref())).collect();
    assert_eq!(
        view,
        [
            ("prod-admin", "ABC.gr7.eu-west-1.eks.amazonaws.com", Some("shop")),
            ("kind", "127.0.0.1:6443", None),
            ("dangling", "", None),
        ]
    );
}
