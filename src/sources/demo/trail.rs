//! The demo's CloudTrail: background calls, a burst of failed console
//! logins, the console's own calls, and a throttled stretch of polls.

use super::*;

impl DemoWorld {
    /// One LookupEvents poll. It is throttled for a while (the API allows
    /// 2 calls a second per account): the feed fails with the attempt and
    /// the retry time the backoff policy gives, events wait in the world,
    /// and every other panel carries on.
    pub(super) fn poll_trail(&mut self) -> Option<SourceUpdate> {
        if self.trail_retry_at.is_some_and(|t| self.now < t) {
            return None;
        }
        if self.trail_throttled() {
            self.trail_attempt += 1;
            let delay = ErrorKind::Throttled.retry_delay(self.trail_attempt, 0.0);
            let next = self.now + TimeDelta::from_std(delay).unwrap_or(TimeDelta::MAX);
            self.trail_retry_at = Some(next);
            let error = SourceError::new(ErrorKind::Throttled, "ThrottlingException: Rate exceeded");
            let signal = FeedSignal::Failed { error, attempt: self.trail_attempt, next_retry: Some(next) };
            return Some(SourceUpdate::signal(FeedId::TrailEvents, self.now, signal));
        }
        self.trail_attempt = 0;
        self.trail_retry_at = None;
        let new = std::mem::take(&mut self.new_trail);
        Some(self.data(FeedData::TrailEvents(Delta::Upsert(new))))
    }

    /// The account's one trail: multi-region, logging, delivering every
    /// five minutes.
    pub(super) fn trails(&self) -> Vec<crate::model::Trail> {
        let delivered =
            self.start + TimeDelta::minutes((self.now - self.start).num_minutes() / 5 * 5) - TimeDelta::minutes(3);
        vec![crate::model::Trail {
            name: "org-trail".into(),
            arn: "arn:aws:cloudtrail:eu-west-1:123456789012:trail/org-trail".into(),
            home_region: "eu-west-1".into(),
            multi_region: true,
            logging: true,
            latest_delivery: Some(delivered),
            delivery_error: None,
        }]
    }

    pub(super) fn trail_throttled(&self) -> bool {
        (45..=53).contains(&self.elapsed())
    }

    pub(super) fn next_trail_id(&mut self) -> String {
        self.trail_seq += 1;
        // A version-4 UUID, as CloudTrail's event ids are.
        format!("{:08x}-{:04x}-4c1e-9d2a-{:012x}", self.rng.u32(..), self.rng.u16(..), self.trail_seq)
    }

    pub(super) fn push_trail(&mut self, ev: TrailEvent) {
        // What LookupEvents would find again, for exports.
        if self.trail_log.len() >= crate::state::TRAIL_CAP {
            self.trail_log.remove(0);
        }
        self.trail_log.push(ev.clone());
        self.new_trail.push(ev);
        self.dirty.trail = true;
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn trail_event(
        &mut self,
        time: DateTime<Utc>,
        name: &str,
        source: &str,
        user: &str,
        ip: &str,
        resource: &str,
        error: Option<&str>,
        read_only: bool,
    ) -> TrailEvent {
        let id = self.next_trail_id();
        let user_identity = if user == "root" {
            json!({"type": "Root", "arn": "arn:aws:iam::123456789012:root", "accountId": "123456789012"})
        } else {
            json!({
                "type": "AssumedRole",
                "arn": format!("arn:aws:sts::123456789012:assumed-role/{user}"),
                "accountId": "123456789012",
                "userName": user,
            })
        };
        let mut raw = json!({
            "eventVersion": "1.09",
            "userIdentity": user_identity,
            "eventTime": time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "eventSource": source,
            "eventName": name,
            "awsRegion": "eu-west-1",
            "sourceIPAddress": ip,
            "userAgent": if name == "ConsoleLogin" { "Mozilla/5.0 (X11; Linux x86_64)" } else { "aws-cli/2.15.30" },
            "requestParameters": if resource.is_empty() { serde_json::Value::Null } else { json!({"resource": resource}) },
            "eventID": id,
            "readOnly": read_only,
            "eventType": if name == "ConsoleLogin" { "AwsConsoleSignIn" } else { "AwsApiCall" },
            "managementEvent": true,
            "recipientAccountId": "123456789012",
        });
        if let Some(code) = error {
            raw["errorMessage"] = json!(code);
            if name == "ConsoleLogin" {
                raw["responseElements"] = json!({"ConsoleLogin": "Failure"});
            } else {
                raw["errorCode"] = json!(code);
            }
        } else if name == "ConsoleLogin" {
            raw["responseElements"] = json!({"ConsoleLogin": "Success"});
        }
        TrailEvent {
            id,
            time,
            name: name.into(),
            source: source.into(),
            user: user.into(),
            source_ip: ip.into(),
            resource: resource.into(),
            error_code: error.map(str::to_string),
            read_only,
            raw: serde_json::to_string(&raw).unwrap_or_default(),
        }
    }

    pub(super) fn trickle_event(&mut self, time: DateTime<Utc>) {
        const BENIGN: &[(&str, &str, &str, &str, bool)] = &[
            ("AssumeRole", "sts.amazonaws.com", "ci-deployer", "arn:aws:iam::123456789012:role/deploy", true),
            ("DescribeDBInstances", "rds.amazonaws.com", "grafana-reader", "orders-db", true),
            ("PutObject", "s3.amazonaws.com", "backup-agent", "shop-backups/orders/wal", false),
            ("GetSecretValue", "secretsmanager.amazonaws.com", "backend-irsa", "shop/orders-db", true),
            ("UpdateService", "ecs.amazonaws.com", "ci-deployer", "reporting", false),
            ("DescribeAlarms", "monitoring.amazonaws.com", "grafana-reader", "", true),
            ("CreateLogStream", "logs.amazonaws.com", "fluent-bit", "/eks/shop/backend", false),
            ("ConsoleLogin", "signin.amazonaws.com", "jane.doe", "", false),
        ];
        let (name, source, user, resource, ro) = BENIGN[self.rng.usize(0..BENIGN.len())];
        let ip = format!("10.0.{}.{}", self.rng.u8(1..4), self.rng.u8(10..250));
        let ev = self.trail_event(time, name, source, user, &ip, resource, None, ro);
        self.push_trail(ev);
    }

    pub(super) fn failed_login(&mut self) {
        // Mostly the obvious account, sometimes a guess at another.
        const USERS: &[&str] = &["root", "administrator", "ops", "jane.doe"];
        let user = if self.rng.u8(0..10) < 7 { "admin" } else { USERS[self.rng.usize(0..USERS.len())] };
        let now = self.now;
        let ev = self.trail_event(
            now,
            "ConsoleLogin",
            "signin.amazonaws.com",
            user,
            ATTACKER_IP,
            "",
            Some("Failed authentication"),
            false,
        );
        self.push_trail(ev);
    }

    pub(super) fn record_own_call(&mut self, name: &str, source: &str, resource: &str) {
        let now = self.now;
        let ev = self.trail_event(now, name, source, "warroom-oncall", "10.0.1.5", resource, None, false);
        self.push_trail(ev);
    }
}
