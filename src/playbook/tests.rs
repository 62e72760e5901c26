use super::*;

fn parse(text: &str) -> Result<Playbook, FileError> {
    Playbook::parse(&Source { path: "playbooks/mine.toml".into(), text: text.into() })
}

const HEAD: &str = "id = \"mine\"\ntitle = \"Mine\"\nseverity = \"P2\"\n[[phase]]\nname = \"Triage\"\n";

/// The error for a playbook made of [`HEAD`] and one step's lines.
fn step_error(step: &str) -> FileError {
    parse(&format!("{HEAD}[[phase.step]]\nid = \"s\"\ntitle = \"S\"\n{step}\n")).unwrap_err()
}

#[test]
fn every_built_in_loads_with_unique_ids() {
    let all = load(None).unwrap();
    assert_eq!(all.len(), BUILTIN.len());
    let ids: Vec<&str> = all.iter().map(|p| p.id.as_str()).collect();
    for want in
        ["p1", "p2", "p3", "p4", "daily", "crashloop", "db-connections", "high-memory", "rds-failure", "data-breach"]
    {
        assert!(ids.contains(&want), "{want} in {ids:?}");
    }
    assert_eq!(ids[0], "cloudtrail-kms", "P1 playbooks first, by id: {ids:?}");
    assert_eq!(*ids.last().unwrap(), "daily", "routines last");
}

#[test]
fn the_severity_playbooks_have_the_five_phases_of_the_runbook() {
    let all = load(None).unwrap();
    for (id, sev) in [("p1", Severity::P1), ("p2", Severity::P2), ("p3", Severity::P3), ("p4", Severity::P4)] {
        let p = all.iter().find(|p| p.id == id).unwrap();
        assert_eq!(p.purpose, Purpose::Incident(sev));
        let phases: Vec<&str> = p.phases.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            phases,
            ["Detection & Triage", "Investigation", "Mitigation", "Resolution", "Post-incident"],
            "{id}"
        );
        let target = sev.target().num_minutes() as u32;
        assert_eq!(p.phases[0].within_mins, Some(target), "{id}: triage within the response target");
    }
}

#[test]
fn the_daily_check_is_a_routine_with_a_check_for_each_live_concern() {
    let all = load(None).unwrap();
    let daily = all.iter().find(|p| p.id == "daily").unwrap();
    assert_eq!(daily.purpose, Purpose::Routine);
    let checks: Vec<String> = daily
        .steps()
        .filter_map(|s| match &s.kind {
            StepKind::Check(c) => Some(check_name(c)),
            _ => None,
        })
        .collect();
    for want in [
        "pods_ready",
        "no_crashloop",
        "restarts_below",
        "no_warning_events",
        "deployments_available",
        "alarms_clear",
        "rds_available",
        "rds_free_storage_above",
        "trail_logging",
    ] {
        assert!(checks.iter().any(|c| c == want), "{want} in {checks:?}");
    }
    let read_commands = daily
        .steps()
        .filter(|s| {
            matches!(&s.kind, StepKind::Command(c) if c.risk == Risk::Read)
                || matches!(&s.kind, StepKind::Script(c) if c.risk == Risk::Read)
        })
        .count();
    assert!(read_commands >= 6, "certificates, PVCs, Config, KMS, S3, Terraform: {read_commands}");
}

#[test]
fn steps_of_every_kind_parse() {
    let p = parse(&format!(
        "{HEAD}{}",
        r#"
[[phase.step]]
id = "read"
title = "Read"
text = "Guidance."

[[phase.step]]
id = "pods"
title = "Pods"
check = { name = "pods_ready", namespace = "shop", min_ratio = 0.9 }

[[phase.step]]
id = "restart"
title = "Restart"
action = { name = "rollout_restart", namespace = "shop", deployment = "selected" }

[[phase.step]]
id = "scale"
title = "Scale"
action = { name = "scale", namespace = "shop", deployment = "api", replicas = 5 }

[[phase.step]]
id = "top"
title = "Top"
command = { argv = ["kubectl", "top", "pods"], risk = "read" }

[[phase.step]]
id = "psql"
title = "Locks"
script = { script = "psql -c 'select 1' | cat", timeout_secs = 10 }
"#
    ))
    .unwrap();
    let kinds: Vec<&StepKind> = p.steps().map(|s| &s.kind).collect();
    assert_eq!(kinds[0], &StepKind::Manual);
    assert_eq!(kinds[1], &StepKind::Check(CheckSpec::PodsReady { namespace: Some("shop".into()), min_ratio: 0.9 }));
    let StepKind::Action(a) = kinds[2] else { panic!("{:?}", kinds[2]) };
    assert_eq!(a.name, ActionName::RolloutRestart);
    assert_eq!(a.params["deployment"], ParamValue::Selected);
    assert_eq!(a.params["namespace"], ParamValue::Literal("shop".into()));
    let StepKind::Action(a) = kinds[3] else { panic!() };
    assert_eq!(a.params["replicas"], ParamValue::Literal("5".into()));
    assert_eq!(
        kinds[4],
        &StepKind::Command(CommandStep {
            argv: vec!["kubectl".into(), "top".into(), "pods".into()],
            timeout_secs: 60,
            risk: Risk::Read
        })
    );
    assert_eq!(
        kinds[5],
        &StepKind::Script(ScriptStep {
            script: "psql -c 'select 1' | cat".into(),
            timeout_secs: 10,
            risk: Risk::Change,
            review: false
        }),
        "scripts are a change unless they say otherwise"
    );
}

#[test]
fn bad_files_name_the_line_column_and_field() {
    let e = step_error("check = { name = \"pods_redy\" }");
    assert_eq!((e.line, e.path.to_str()), (9, Some("playbooks/mine.toml")), "{e}");
    assert!(e.message.contains("unknown variant `pods_redy`"), "{e}");

    let e = step_error("check = { name = \"pods_ready\", min_ratoi = 0.5 }");
    assert!(e.message.contains("unknown field `min_ratoi`"), "{e}");
    let e = step_error("check = { name = \"rds_cpu_below\" }");
    assert!(e.message.contains("missing field `percent`"), "{e}");
    let e = step_error("check = { name = \"pods_ready\", min_ratio = 2.0 }");
    assert!(e.message.contains("check pods_ready: min_ratio must be between 0 and 1"), "{e}");
    assert_eq!((e.line, e.col), (9, 9), "{e}");

    let e = step_error("action = { name = \"reboot_everything\" }");
    assert!(e.message.contains("action.name: unknown variant `reboot_everything`"), "{e}");
    let e = step_error("action = { name = \"reboot_db\" }");
    assert!(e.message.contains("action: missing field `instance`"), "{e}");
    let e = step_error("action = { name = \"reboot_db\", instance = \"a\", force = \"yes\" }");
    assert!(e.message.contains("action: unknown field `force`, expected instance"), "{e}");

    let e = step_error("command = { argv = [], risk = \"read\" }");
    assert!(e.message.contains("command.argv needs a program"), "{e}");
    let e = step_error("command = { argv = [\"ls\"] }");
    assert!(e.message.contains("missing field `risk`"), "{e}");
    let e = step_error("command = { argv = [\"ls\"], risk = \"harmless\" }");
    assert!(e.message.contains("unknown variant `harmless`"), "{e}");
    let e = step_error("command = { argv = [\"ls\"], risk = \"read\", timeout_secs = 0 }");
    assert!(e.message.contains("timeout_secs must be 1..=3600"), "{e}");
    let e = step_error("command = { argv = [\"ls\"], risk = \"read\" }\ncheck = { name = \"no_crashloop\" }");
    assert!(e.message.contains("give one of check, action, command or script"), "{e}");
    let e = step_error("tittle = \"typo\"");
    assert!(e.message.contains("unknown field `tittle`"), "{e}");
}

#[test]
fn playbook_level_mistakes_are_errors_too() {
    let e = parse("id = \"x\"\ntitle = \"X\"\n[[phase]]\nname = \"a\"\n[[phase.step]]\nid = \"s\"\ntitle = \"S\"\n")
        .unwrap_err();
    assert!(e.message.contains("missing field `severity`"), "{e}");
    let e = parse("id = \"x\"\ntitle = \"X\"\nkind = \"weekly\"\n").unwrap_err();
    assert_eq!((e.line, e.col), (3, 8), "{e}");
    let e = parse("id = \"x\"\ntitle = \"X\"\nseverity = \"P5\"\n").unwrap_err();
    assert!(e.message.contains("unknown variant `P5`"), "{e}");
    let e = parse("id = \"My Playbook\"\ntitle = \"X\"\nseverity = \"P1\"\n").unwrap_err();
    assert!(e.message.contains("lower-case"), "{e}");
    let e =
        parse(&format!("{HEAD}[[phase.step]]\nid = \"s\"\ntitle = \"A\"\n[[phase.step]]\nid = \"s\"\ntitle = \"B\"\n"))
            .unwrap_err();
    assert_eq!((e.line, e.message.as_str()), (10, "step id `s` is used twice"), "{e}");
    let e = parse(HEAD).unwrap_err();
    assert!(e.message.contains("phase `Triage` has no [[phase.step]]"), "{e}");
}

#[test]
fn files_in_the_config_dir_add_playbooks_and_replace_built_ins_by_id() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("playbooks")).unwrap();
    let mine = "id = \"p1\"\ntitle = \"Our P1\"\nseverity = \"P1\"\n[[phase]]\nname = \"Only\"\n[[phase.step]]\nid = \"call-bob\"\ntitle = \"Call Bob\"\n";
    std::fs::write(dir.path().join("playbooks/our-p1.toml"), mine).unwrap();
    std::fs::write(dir.path().join("playbooks/extra.toml"), mine.replace("\"p1\"", "\"extra\"")).unwrap();
    std::fs::write(dir.path().join("playbooks/notes.txt"), "not a playbook").unwrap();
    let all = load(Some(dir.path())).unwrap();
    assert_eq!(all.len(), BUILTIN.len() + 1);
    let p1 = all.iter().find(|p| p.id == "p1").unwrap();
    assert_eq!(p1.title, "Our P1");
    assert!(p1.path.ends_with("playbooks/our-p1.toml"));

    std::fs::write(dir.path().join("playbooks/zzz.toml"), mine).unwrap();
    let e = load(Some(dir.path())).unwrap_err();
    assert!(e.message.contains("playbook id `p1` is also used by"), "{e}");
    std::fs::remove_file(dir.path().join("playbooks/zzz.toml")).unwrap();
    std::fs::write(dir.path().join("playbooks/bad.toml"), "id = 3\n").unwrap();
    let e = load(Some(dir.path())).unwrap_err();
    assert!(e.path.ends_with("playbooks/bad.toml") && e.line == 1, "{e}");
}
