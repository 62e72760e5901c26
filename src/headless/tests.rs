use super::*;
use crate::fixtures::t0;

fn step(result: &str, why: &str) -> StepReport {
    StepReport {
        phase: "Kubernetes".into(),
        step: "s".into(),
        title: "Pods | ready".into(),
        kind: "check",
        result: result.into(),
        why: why.into(),
    }
}

fn report(steps: Vec<StepReport>, unsynced: Vec<String>) -> Report {
    Report { playbook: "daily".into(), title: "Daily".into(), at: t0(), unsynced, steps }
}

#[test]
fn a_failure_decides_the_exit_code_then_what_could_not_be_told() {
    assert_eq!(report(vec![step("pass", ""), step("not run", "")], vec![]).exit_code(), 0);
    assert_eq!(report(vec![step("pass", ""), step("fail", "")], vec![]).exit_code(), 1);
    // A failure is known whatever else could not be told.
    assert_eq!(report(vec![step("fail", ""), step("unknown", "")], vec![]).exit_code(), 1);
    assert_eq!(report(vec![step("pass", ""), step("unknown", "")], vec![]).exit_code(), 2);
    assert_eq!(report(vec![step("pass", "")], vec!["pods".into()]).exit_code(), 2, "a feed never synced");
}

#[test]
fn markdown_cells_are_clean_and_escaped() {
    let md = report(vec![step("fail", "a|b\n\u{1b}[31mred")], vec![]).markdown();
    assert!(md.starts_with("# Daily — daily\n\n2026-01-01 00:00:00 UTC · 0 passed · 1 failed · 0 unknown\n"), "{md}");
    assert!(md.contains("| ✗ | Kubernetes | Pods \\| ready | fail | a\\|b red |"), "{md}");
    assert!(!md.contains('\u{1b}'));
    let json: serde_json::Value =
        serde_json::from_str(&report(vec![step("pass", "14/14 ready")], vec![]).json()).unwrap();
    assert_eq!(json["steps"][0]["why"], "14/14 ready");
}

#[test]
fn the_daily_check_needs_the_feeds_of_its_checks() {
    let all = crate::playbook::load(None).unwrap();
    let daily = all.iter().find(|p| p.id == "daily").unwrap();
    let needed: Vec<&str> = needed_feeds(daily).iter().map(|f| f.label()).collect();
    for want in ["pods", "deployments", "alarms", "instances", "metrics", "trails"] {
        assert!(needed.contains(&want), "{want} in {needed:?}");
    }
}

#[tokio::test]
async fn read_only_commands_run_when_asked_and_others_never() {
    let text = "id = \"t\"\ntitle = \"T\"\nkind = \"routine\"\n[[phase]]\nname = \"P\"\n\
        [[phase.step]]\nid = \"echo\"\ntitle = \"Echo\"\ncommand = { argv = [\"echo\", \"hi\"], risk = \"read\" }\n\
        [[phase.step]]\nid = \"rm\"\ntitle = \"Rm\"\nscript = { script = \"exit 1\" }\n\
        [[phase.step]]\nid = \"bad\"\ntitle = \"Bad\"\ncommand = { argv = [\"false\"], risk = \"read\" }\n";
    let p = Playbook::parse(&crate::config::Source { path: "t.toml".into(), text: text.into() }).unwrap();
    let live = LiveState::default();
    let not_asked = report_of(&p, &live, false).await;
    assert!(not_asked.steps.iter().all(|s| s.result == "not run"));
    assert_eq!(not_asked.exit_code(), 0);
    let asked = report_of(&p, &live, true).await;
    let results: Vec<(&str, &str)> = asked.steps.iter().map(|s| (s.step.as_str(), s.result.as_str())).collect();
    assert_eq!(results, [("echo", "pass"), ("rm", "not run"), ("bad", "fail")]);
    assert!(asked.steps[1].why.contains("risk CHANGE"), "{:?}", asked.steps[1]);
    assert_eq!(asked.exit_code(), 1);
}

async fn report_of(p: &Playbook, live: &LiveState, run: bool) -> Report {
    super::report(p, live, t0(), Vec::new(), run).await
}
