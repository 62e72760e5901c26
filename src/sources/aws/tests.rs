use super::*;
use crate::sources::aws::profiles::Profile;

fn profile(name: &str, sso: bool) -> Profile {
    Profile { name: name.into(), sso, region: None }
}

#[test]
fn the_login_hint_names_the_command_for_the_profile() {
    let profiles = [profile("oncall", true), profile("legacy", false)];
    let hint = |p: &str| login_hint(&AwsTarget { profile: Some(p.into()), region: None }, &profiles);
    assert_eq!(hint("oncall"), "run `aws sso login --profile oncall`");
    assert!(hint("legacy").contains("aws configure --profile legacy"));
    assert!(hint("nope").contains("no profile `nope`"));
}

#[test]
fn error_codes_decide_the_kind_where_the_status_does_not() {
    assert_eq!(code_kind("Throttling"), Some(ErrorKind::Throttled));
    assert_eq!(code_kind("ExpiredToken"), Some(ErrorKind::Unauthorized));
    assert_eq!(code_kind("AccessDenied"), Some(ErrorKind::Forbidden));
    assert_eq!(code_kind("DBInstanceNotFound"), None, "left to the HTTP status");
}
