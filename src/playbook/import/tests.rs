use super::*;
use crate::config::Source;
use crate::playbook::{Playbook, StepKind};

fn load(toml: &str, stem: &str) -> Playbook {
    Playbook::parse(&Source { path: format!("{stem}.toml").into(), text: toml.into() })
        .unwrap_or_else(|e| panic!("{e}\n{toml}"))
}

/// (phases, steps, script steps) of a runbook imported and loaded.
fn counts(markdown: &str, stem: &str) -> (usize, usize, usize) {
    let p = load(&import(markdown, stem), stem);
    let scripts = p.steps().filter(|s| matches!(s.kind, StepKind::Script(_))).count();
    (p.phases.len(), p.steps().count(), scripts)
}

const K8S: &str = include_str!("../../../tests/runbooks/kubernetes-platform-runbook.md");
const RDS: &str = include_str!("../../../tests/runbooks/rds-terraform-runbook.md");
const SECURE: &str = include_str!("../../../tests/runbooks/secure-foundation-runbook.md");

#[test]
fn each_reference_runbook_imports_to_a_playbook_that_loads() {
    let got = [
        counts(K8S, "kubernetes-platform-runbook"),
        counts(RDS, "rds-terraform-runbook"),
        counts(SECURE, "secure-foundation-runbook"),
    ];
    // (phases, steps, scripts): one script per shell block, one step per `- [ ]`.
    assert_eq!(got, [(33, 48, 16), (27, 39, 19), (24, 32, 17)]);
}

#[test]
fn the_incident_checklist_quoted_in_a_runbook_becomes_its_phases() {
    let p = load(&import(K8S, "ops"), "ops");
    let triage = p.phases.iter().find(|ph| ph.name.starts_with("1. Detection & Triage")).expect("the quoted checklist");
    let titles: Vec<&str> = triage.steps.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(
        titles,
        ["Acknowledge alert", "Assess severity level", "Notify on-call team", "Create incident channel"]
    );
    assert!(triage.steps.iter().all(|s| s.kind == StepKind::Manual));
}

#[test]
fn shell_blocks_are_scripts_to_review_with_the_checks_the_console_can_do_suggested() {
    let text = import(SECURE, "secure");
    assert!(text.contains("# The console can check this itself: check = { name = \"trail_logging\" }"), "{text}");
    let p = load(&text, "secure");
    let script = p
        .steps()
        .find_map(|s| match &s.kind {
            StepKind::Script(sc) if sc.script.contains("get-trail-status") => Some(sc.clone()),
            _ => None,
        })
        .unwrap();
    assert!(script.review && script.risk == crate::actions::Risk::Change);
    assert_eq!(script.script, "aws cloudtrail get-trail-status --name cloudtrail-prod", "verbatim");
}

#[test]
fn emoji_headings_tables_nested_lists_and_heredocs_import() {
    let md = "# 🚨 Outage runbook\n\nIntro text.\n\n## 🔥 First steps\n\n| Metric | Threshold |\n|---|---|\n| CPU | > 80% |\n\n- [ ] Page the **secondary**\n  - nested detail\n  - [ ] nested task\n- plain bullet\n\n```bash\n# Apply the policy\nkubectl apply -f - <<EOF\napiVersion: v1\nkind: Thing\nquote: \"'''\"\nEOF\n```\n\n## Empty heading\n\n### Notes only\n\nJust words.\n";
    let text = import(md, "outage");
    let p = load(&text, "outage");
    assert_eq!(p.title, "🚨 Outage runbook");
    let phases: Vec<&str> = p.phases.iter().map(|ph| ph.name.as_str()).collect();
    assert_eq!(phases, ["Overview", "🔥 First steps", "Notes only"], "{text}");
    let first = &p.phases[1];
    let titles: Vec<&str> = first.steps.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(titles, ["Page the secondary", "nested task", "Apply the policy"], "{text}");
    assert!(first.steps[0].text.contains("CPU · > 80%"), "the table is guidance: {text}");
    assert!(first.steps[1].text.contains("- nested detail"), "a plain bullet is guidance: {text}");
    let StepKind::Script(sc) = &first.steps[2].kind else { panic!("{text}") };
    assert!(sc.script.contains("<<EOF") && sc.script.contains("quote: \"'''\""), "kept verbatim: {}", sc.script);
    assert_eq!(p.phases[2].steps[0].title, "Read: Notes only");
}

#[test]
fn the_secure_foundation_runbook_imports_to_this_file() {
    insta::assert_snapshot!(import(SECURE, "secure-foundation-runbook"));
}

proptest::proptest! {
    /// Whatever the Markdown, the import never panics and always loads.
    #[test]
    fn any_markdown_imports_to_a_playbook_that_loads(md in "(#{1,3} [^\n]{0,20}\n|- \\[ \\] [^\n]{0,20}\n|```[a-z]{0,5}\n[^`]{0,40}\n```\n|[^\n]{0,40}\n|\n){0,30}") {
        let text = import(&md, "any");
        let loaded = Playbook::parse(&Source { path: "any.toml".into(), text: text.clone() });
        proptest::prop_assert!(loaded.is_ok(), "{:?}\n{text}", loaded.err());
    }
}
