//! The AWS test bed: moto's server behind the project's launcher
//! (`tests/aws/launcher.py`, which adds the CloudWatch CBOR protocol,
//! CloudTrail LookupEvents, alarm history, a record of every call and
//! fault injection), from the venv `tests/aws/setup.sh` caches. One
//! server per test, on a free loopback port, stopped when dropped.
#![allow(dead_code)] // each test binary uses part of it

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cloudwatch::config::Credentials;
use aws_smithy_types::retry::RetryConfig;

pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "123456789012";

fn venv_python() -> PathBuf {
    let base = std::env::var_os("WARROOM_TESTBED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/warroom-testbed"));
    let python = base.join("moto-venv/bin/python");
    assert!(python.exists(), "no moto venv at {}: run `bash tests/aws/setup.sh`", python.display());
    python
}

fn launcher() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/aws/launcher.py")
}

fn log(port: u16) -> PathBuf {
    std::env::temp_dir().join(format!("warroom-moto-{port}.log"))
}

/// The launcher serving on `port`, its output in [`log`].
fn spawn(port: u16) -> Child {
    let log = log(port);
    Command::new(venv_python())
        .arg(launcher())
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::create(log.with_extension("err")).unwrap())
        .spawn()
        .expect("the launcher starts")
}

pub struct Moto {
    pub port: u16,
    child: Child,
}

impl Moto {
    /// Starts a server and waits until it answers.
    pub fn start() -> Moto {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let moto = Moto { port, child: spawn(port) };
        moto.wait_ready();
        moto
    }

    /// Stops the server: connections are refused until [`Moto::restart`].
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts a server again on the same port (with nothing in it) and
    /// waits until it answers.
    pub fn restart(&mut self) {
        self.stop();
        self.child = spawn(self.port);
        self.wait_ready();
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.try_request("GET", "/_warroom/calls", "").is_err() {
            assert!(
                Instant::now() < deadline,
                "moto did not answer on port {} within 30 s; see {}",
                self.port,
                log(self.port).display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The environment a console process needs to talk to this server
    /// with test credentials and nothing from the machine's own config.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_REGION", REGION.into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
            ("AWS_CONFIG_FILE", "/nonexistent/warroom-test/config".into()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/warroom-test/credentials".into()),
        ]
    }

    /// An SDK configuration for this server (explicit, not from the
    /// environment, so tests running side by side each talk to their own).
    /// No retries: a test expecting an error gets it at once.
    pub async fn sdk_config(&self) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(self.endpoint())
            .region(Region::new(REGION))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .retry_config(RetryConfig::disabled())
            .load()
            .await
    }

    /// The console's SDK configuration, as `sdk_config` in the source
    /// builds it, pointed at this server.
    pub async fn console_config(&self) -> SdkConfig {
        let base = warroom::sources::aws::sdk_config(&warroom::sources::aws::AwsTarget::default()).await;
        base.into_builder()
            .endpoint_url(self.endpoint())
            .region(Region::new(REGION))
            .credentials_provider(aws_sdk_cloudwatch::config::SharedCredentialsProvider::new(Credentials::new(
                "testing", "testing", None, None, "test",
            )))
            .build()
    }

    fn try_request(&self, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port))?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )?;
        let mut answer = String::new();
        s.read_to_string(&mut answer)?;
        let status = answer.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
        let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
        Ok((status, body))
    }

    fn admin(&self, method: &str, path: &str, body: &str) -> String {
        let (status, body) = self.try_request(method, path, body).unwrap();
        assert_eq!(status, 200, "{method} {path}: {body}");
        body
    }

    /// Every API call the server saw, in order: service, operation,
    /// region, mutating, protocol, user_agent, status, params, time
    /// (seconds).
    pub fn calls(&self) -> Vec<serde_json::Value> {
        serde_json::from_str(&self.admin("GET", "/_warroom/calls", "")).unwrap()
    }

    /// The calls a console made (its user agent names it).
    pub fn console_calls(&self) -> Vec<serde_json::Value> {
        self.calls().into_iter().filter(|c| c["user_agent"].as_str().unwrap_or("").contains("app/warroom")).collect()
    }

    /// Adds CloudTrail records (as CloudTrail writes them) to LookupEvents.
    pub fn seed_trail(&self, records: &serde_json::Value) {
        self.admin("POST", "/_warroom/trail", &records.to_string());
    }

    /// Makes a boto3 call through the server (for what the tests have no
    /// Rust SDK for, such as the S3 bucket a trail needs); its answer.
    pub fn boto(&self, service: &str, operation: &str, params: serde_json::Value) -> serde_json::Value {
        let ask = serde_json::json!({"service": service, "operation": operation, "params": params});
        serde_json::from_str(&self.admin("POST", "/_warroom/boto", &ask.to_string())).unwrap()
    }

    /// Arms faults: each `{"service"?, "operation"?, "mode", "count"}`;
    /// modes: throttle, server, expired, denied, garbage, delay (`seconds`).
    pub fn faults(&self, faults: &serde_json::Value) {
        self.admin("POST", "/_warroom/faults", &faults.to_string());
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Creates DB instance `id` (Multi-AZ PostgreSQL, or an Aurora member of
/// `cluster`) through the SDK.
pub async fn create_db(rds: &aws_sdk_rds::Client, id: &str, multi_az: bool, cluster: Option<&str>) {
    let engine = if cluster.is_some() { "aurora-postgresql" } else { "postgres" };
    rds.create_db_instance()
        .db_instance_identifier(id)
        .db_instance_class("db.r6g.large")
        .engine(engine)
        .allocated_storage(100)
        .master_username("app")
        .master_user_password("not-a-real-password")
        .multi_az(multi_az)
        .set_db_cluster_identifier(cluster.map(str::to_string))
        .send()
        .await
        .unwrap();
}

/// Alarm `name` on DB instance `db`'s CPU above 80 % (through the SDK, so
/// the launcher's CBOR bridge).
pub async fn put_cpu_alarm(cw: &aws_sdk_cloudwatch::Client, name: &str, db: &str) {
    use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, Statistic};
    cw.put_metric_alarm()
        .alarm_name(name)
        .alarm_description("runbook: database#high-cpu")
        .namespace("AWS/RDS")
        .metric_name("CPUUtilization")
        .dimensions(Dimension::builder().name("DBInstanceIdentifier").value(db).build())
        .statistic(Statistic::Average)
        .period(60)
        .evaluation_periods(3)
        .threshold(80.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .alarm_actions("arn:aws:sns:us-east-1:123456789012:pager")
        .send()
        .await
        .unwrap();
}

/// Creates read replica `id` of instance `source`.
pub async fn create_replica(rds: &aws_sdk_rds::Client, id: &str, source: &str) {
    rds.create_db_instance_read_replica()
        .db_instance_identifier(id)
        .source_db_instance_identifier(source)
        .send()
        .await
        .unwrap();
}

/// A CloudTrail record `seed-NNN` by IAM user alice, for [`Moto::seed_trail`];
/// `failed` makes it a failed console login.
pub fn trail_record(
    n: usize,
    at: chrono::DateTime<chrono::Utc>,
    name: &str,
    ip: &str,
    failed: bool,
) -> serde_json::Value {
    let mut r = serde_json::json!({
        "eventVersion": "1.09",
        "eventID": format!("seed-{n:03}"),
        "eventTime": at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "eventName": name,
        "eventSource": if name == "ConsoleLogin" { "signin.amazonaws.com" } else { "ec2.amazonaws.com" },
        "userIdentity": {"type": "IAMUser", "userName": "alice", "accountId": ACCOUNT},
        "sourceIPAddress": ip,
        "readOnly": name.starts_with("Describe"),
        "eventType": "AwsConsoleSignIn"
    });
    if failed {
        r["responseElements"] = serde_json::json!({"ConsoleLogin": "Failure"});
        r["errorMessage"] = serde_json::json!("Failed authentication");
    }
    r
}
