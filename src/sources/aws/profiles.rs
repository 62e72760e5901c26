//! The shared config's profiles (`~/.aws/config`, or `AWS_CONFIG_FILE`):
//! their names, to switch between, and whether they log in through SSO,
//! to say which command renews expired credentials.

/// One `[profile NAME]` (or `[default]`) section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    /// Logs in through IAM Identity Center (`sso_session` or
    /// `sso_start_url`): `aws sso login` renews it.
    pub sso: bool,
    pub region: Option<String>,
}

/// The profiles in a shared config file's text, in file order; a section
/// named twice is one profile.
pub fn parse(text: &str) -> Vec<Profile> {
    let mut out: Vec<Profile> = Vec::new();
    let mut current: Option<usize> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let section = section.trim();
            let name = match section.strip_prefix("profile ") {
                Some(n) => Some(n.trim()),
                None if section == "default" => Some("default"),
                None => None, // [sso-session x], [services x]
            };
            current = name.map(|name| match out.iter().position(|p| p.name == name) {
                Some(i) => i,
                None => {
                    out.push(Profile { name: name.into(), sso: false, region: None });
                    out.len() - 1
                }
            });
            continue;
        }
        let (Some(i), Some((key, value))) = (current, line.split_once('=')) else { continue };
        match key.trim() {
            "sso_session" | "sso_start_url" => out[i].sso = true,
            "region" => out[i].region = Some(value.trim().to_string()),
            _ => {}
        }
    }
    out
}

/// The shared config file's profiles; none when it is missing or unreadable.
pub fn load() -> Vec<Profile> {
    let path = std::env::var_os("AWS_CONFIG_FILE")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".aws").join("config")));
    path.and_then(|p| std::fs::read_to_string(p).ok()).map(|t| parse(&t)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_are_read_with_their_login_kind_and_region() {
        let text = "\
# comment
[default]
region = eu-west-1

[profile oncall]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = OnCall

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start

[profile  legacy ]
aws_access_key_id = AKIA...
region=us-east-1
[profile oncall]
region = eu-central-1
";
        let p = parse(text);
        let names: Vec<&str> = p.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["default", "oncall", "legacy"]);
        assert!(p[1].sso, "sso_session marks an SSO profile");
        assert!(!p[0].sso && !p[2].sso, "the sso-session section is not a profile and marks none");
        assert_eq!(p[1].region.as_deref(), Some("eu-central-1"), "a section named twice is one profile");
        assert_eq!(p[2].region.as_deref(), Some("us-east-1"));
    }
}
