//! A real kube-apiserver (with its etcd) on loopback ports for the tests,
//! from the binaries `tests/k8s/build.sh` builds and caches.
//!
//! Every server gets its own etcd (on tmpfs), certificates, a token file
//! with three users (`admin` for the tests' own setup, `warroom` for the
//! console, so the audit log tells their requests apart, and `viewer`, who
//! may only read), RBAC, a kubeconfig with a context for each, and an
//! audit log of every request.
#![allow(dead_code)] // each test binary uses part of it

#[path = "nodesim.rs"]
pub mod nodesim;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Where the cached binaries live.
fn bin_dir() -> PathBuf {
    let base = std::env::var_os("WARROOM_TESTBED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/warroom-testbed"));
    base.join("bin")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl runs");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Certificates and keys shared by every server of this test binary.
fn pki() -> &'static Path {
    static PKI: OnceLock<PathBuf> = OnceLock::new();
    PKI.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("warroom-k8s-pki-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        remove_at_exit(dir.clone());
        let days = ["-days", "2"];
        openssl(
            &dir,
            &[
                &["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt"][..],
                &["-subj", "/CN=warroom-test-ca"],
                &days,
            ]
            .concat(),
        );
        openssl(
            &dir,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=kube-apiserver",
            ],
        );
        std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
        openssl(
            &dir,
            &[
                &[
                    "x509",
                    "-req",
                    "-in",
                    "server.csr",
                    "-CA",
                    "ca.crt",
                    "-CAkey",
                    "ca.key",
                    "-CAcreateserial",
                    "-out",
                    "server.crt",
                    "-extfile",
                    "san.ext",
                ][..],
                &days,
            ]
            .concat(),
        );
        openssl(&dir, &["genrsa", "-out", "sa.key", "2048"]);
        openssl(&dir, &["rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub"]);
        std::fs::write(
            dir.join("tokens.csv"),
            "admin-token,admin,1,\"system:masters\"\nconsole-token,warroom,2\nviewer-token,viewer,3\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("audit-policy.yaml"),
            "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n",
        )
        .unwrap();
        dir
    })
}

/// Starts `cmd` so that it dies with the test process, even on a panic:
/// from a thread that lives as long as the process (a parent-death signal
/// is tied to the spawning thread).
fn spawn_tied(mut cmd: Command) -> Child {
    use std::os::unix::process::CommandExt;
    static SPAWNER: OnceLock<std::sync::mpsc::Sender<(Command, std::sync::mpsc::Sender<std::io::Result<Child>>)>> =
        OnceLock::new();
    let tx = SPAWNER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<(Command, std::sync::mpsc::Sender<std::io::Result<Child>>)>();
        std::thread::spawn(move || {
            for (mut cmd, reply) in rx {
                // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
                unsafe {
                    cmd.pre_exec(|| {
                        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                        Ok(())
                    });
                }
                let _ = reply.send(cmd.spawn());
            }
        });
        tx
    });
    cmd.stdin(Stdio::null());
    let (reply, answer) = std::sync::mpsc::channel();
    tx.send((cmd, reply)).unwrap();
    answer.recv().unwrap().expect("test bed process starts")
}

pub struct Server {
    pub dir: PathBuf,
    pub port: u16,
    etcd_port: u16,
    /// etcd's data, on tmpfs.
    data: PathBuf,
    etcd: Child,
    apiserver: Option<Child>,
}

impl Server {
    /// Starts etcd and kube-apiserver and waits until the API answers.
    pub fn start() -> Server {
        let bin = bin_dir();
        assert!(
            bin.join("kube-apiserver").exists(),
            "no test kube-apiserver in {}: run `bash tests/k8s/build.sh` (it caches the build)",
            bin.display()
        );
        let dir = tempfile::Builder::new().prefix("warroom-k8s-").tempdir().unwrap().keep();
        let data = tempfile::Builder::new().prefix("warroom-etcd-").tempdir_in("/dev/shm").unwrap().keep();
        let (etcd_port, peer_port) = (free_port(), free_port());
        let log = |name: &str| std::fs::File::create(dir.join(name)).unwrap();
        let mut etcd = Command::new(bin.join("etcd"));
        etcd.args(["--name", "default", "--heartbeat-interval", "10", "--election-timeout", "100"])
            .arg("--data-dir")
            .arg(&data)
            .arg(format!("--listen-client-urls=http://127.0.0.1:{etcd_port}"))
            .arg(format!("--advertise-client-urls=http://127.0.0.1:{etcd_port}"))
            .arg(format!("--listen-peer-urls=http://127.0.0.1:{peer_port}"))
            .arg(format!("--initial-advertise-peer-urls=http://127.0.0.1:{peer_port}"))
            .arg(format!("--initial-cluster=default=http://127.0.0.1:{peer_port}"))
            .stdout(log("etcd.log"))
            .stderr(log("etcd.err"));
        let etcd = spawn_tied(etcd);
        let mut server = Server { dir, port: free_port(), etcd_port, data, etcd, apiserver: None };
        server.write_kubeconfig();
        server.start_apiserver();
        // The bootstrap `view` role is filled in by a controller this test
        // bed does not run: a role of its own that reads everything.
        server.post(
            "clusterroles",
            r#"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"reader"},"rules":[{"apiGroups":["*"],"resources":["*"],"verbs":["get","list","watch"]}]}"#,
        );
        server.bind("warroom", "cluster-admin");
        server.bind("viewer", "reader");
        server
    }

    /// Grants `user` a cluster role everywhere.
    fn bind(&self, user: &str, role: &str) {
        let body = format!(
            r#"{{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{{"name":"{user}-{role}"}},"roleRef":{{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"{role}"}},"subjects":[{{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"{user}"}}]}}"#
        );
        self.post("clusterrolebindings", &body);
    }

    /// Creates an RBAC object as `admin`.
    fn post(&self, resource: &str, body: &str) {
        let url = format!("https://127.0.0.1:{}/apis/rbac.authorization.k8s.io/v1/{resource}", self.port);
        let ok = Command::new("curl")
            .args(["-sf", "--max-time", "10", "--cacert"])
            .arg(pki().join("ca.crt"))
            .args(["-H", "Authorization: Bearer admin-token", "-H", "Content-Type: application/json"])
            .args(["-X", "POST", "-d", body, &url])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "cannot create {resource}: {body}");
    }

    /// Starts the API server and waits until it is ready.
    pub fn start_apiserver(&mut self) {
        let pki = pki();
        let p = |f: &str| pki.join(f).display().to_string();
        let mut cmd = Command::new(bin_dir().join("kube-apiserver"));
        cmd.arg(format!("--etcd-servers=http://127.0.0.1:{}", self.etcd_port))
            .args(["--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--insecure-port=0"])
            .arg(format!("--secure-port={}", self.port))
            .arg(format!("--tls-cert-file={}", p("server.crt")))
            .arg(format!("--tls-private-key-file={}", p("server.key")))
            .arg(format!("--token-auth-file={}", p("tokens.csv")))
            .arg("--authorization-mode=RBAC")
            .arg(format!("--service-account-key-file={}", p("sa.pub")))
            .arg(format!("--service-account-signing-key-file={}", p("sa.key")))
            .arg("--service-account-issuer=https://kubernetes.default.svc")
            .arg("--disable-admission-plugins=ServiceAccount")
            .arg("--endpoint-reconciler-type=none")
            .arg("--service-cluster-ip-range=10.96.0.0/16")
            .arg(format!("--cert-dir={}", self.dir.display()))
            .arg(format!("--audit-log-path={}", self.dir.join("audit.log").display()))
            .arg(format!("--audit-policy-file={}", p("audit-policy.yaml")))
            .stdout(std::fs::File::create(self.dir.join("apiserver.log")).unwrap())
            .stderr(std::fs::File::create(self.dir.join("apiserver.err")).unwrap());
        self.apiserver = Some(spawn_tied(cmd));
        self.wait_ready();
    }

    /// Kills the API server (etcd keeps the data) and starts it again on
    /// the same port: a crash, as a graceful stop waits out open watches.
    pub fn restart_apiserver(&mut self) {
        self.kill_apiserver();
        self.start_apiserver();
    }

    /// Kills the API server; [`Server::start_apiserver`] brings it back.
    pub fn kill_apiserver(&mut self) {
        if let Some(mut a) = self.apiserver.take() {
            let _ = a.kill();
            let _ = a.wait();
        }
    }

    /// Writes a key straight into etcd (moving its revision on) and
    /// compacts away all history before it: a watch from any older
    /// resource version can no longer be resumed (`410 Gone`).
    pub fn etcd_advance_and_compact(&self) {
        let put = self.etcd("kv/put", r#"{"key":"d2Fycm9vbS10ZXN0","value":"MQ=="}"#);
        let revision = put["header"]["revision"].as_str().expect("etcd answers with its revision").to_string();
        self.etcd("kv/compaction", &format!(r#"{{"revision":"{revision}","physical":true}}"#));
    }

    fn etcd(&self, call: &str, body: &str) -> serde_json::Value {
        let url = format!("http://127.0.0.1:{}/v3/{call}", self.etcd_port);
        let out =
            Command::new("curl").args(["-sf", "--max-time", "10", "-X", "POST", "-d", body, &url]).output().unwrap();
        assert!(out.status.success(), "etcd {call} failed: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    fn wait_ready(&self) {
        let start = Instant::now();
        let url = format!("https://127.0.0.1:{}/readyz", self.port);
        loop {
            let ok = Command::new("curl")
                .args(["-sf", "--max-time", "10", "--cacert"])
                .arg(pki().join("ca.crt"))
                .args(["-H", "Authorization: Bearer admin-token", &url])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "kube-apiserver not ready after 60 s; see {}",
                self.dir.join("apiserver.err").display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.join("kubeconfig")
    }

    fn write_kubeconfig(&self) {
        let ca = pki().join("ca.crt");
        let config = format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: console\nclusters:\n- name: test\n  cluster:\n    server: https://127.0.0.1:{port}\n    certificate-authority: {ca}\nusers:\n- name: admin\n  user:\n    token: admin-token\n- name: warroom\n  user:\n    token: console-token\n- name: viewer\n  user:\n    token: viewer-token\ncontexts:\n- name: admin\n  context:\n    cluster: test\n    user: admin\n- name: console\n  context:\n    cluster: test\n    user: warroom\n- name: viewer\n  context:\n    cluster: test\n    user: viewer\n",
            port = self.port,
            ca = ca.display()
        );
        std::fs::write(self.kubeconfig(), config).unwrap();
    }

    /// Runs the test bed's kubectl (Debian's `kubernetes-client`, the
    /// tests' oracle) as `admin` against this server; its output.
    pub fn kubectl(&self, args: &[&str]) -> String {
        let (ok, out, err) = self.kubectl_may_fail(args);
        assert!(ok, "kubectl {args:?}: {err}");
        out
    }

    /// Like [`Server::kubectl`], for a command that may fail: whether it
    /// succeeded, and what it printed on stdout and stderr.
    pub fn kubectl_may_fail(&self, args: &[&str]) -> (bool, String, String) {
        let kubectl = bin_dir().join("kubectl");
        assert!(kubectl.exists(), "no kubectl in {}: run `bash tests/k8s/build.sh`", bin_dir().display());
        let out = Command::new(kubectl)
            .arg("--kubeconfig")
            .arg(self.kubeconfig())
            .args(["--context", "admin", "--request-timeout", "20s"])
            .args(args)
            .output()
            .expect("kubectl runs");
        let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
        (out.status.success(), text(out.stdout), text(out.stderr))
    }

    /// A client for the tests' own setup (user `admin`).
    pub async fn admin(&self) -> kube::Client {
        client_for(&self.kubeconfig(), "admin").await
    }

    /// The console's target: its own user, the given namespaces.
    pub fn target(&self, namespaces: &[&str]) -> warroom::sources::kube::Target {
        warroom::sources::kube::Target {
            kubeconfig: Some(self.kubeconfig()),
            context: Some("console".into()),
            namespaces: namespaces.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// The target of a user who may only read (the `view` role).
    pub fn viewer(&self, namespaces: &[&str]) -> warroom::sources::kube::Target {
        warroom::sources::kube::Target { context: Some("viewer".into()), ..self.target(namespaces) }
    }

    /// Every request the audit log has from `user`, as `verb resource`.
    pub fn audited(&self, user: &str) -> Vec<String> {
        let log = std::fs::read_to_string(self.dir.join("audit.log")).unwrap_or_default();
        log.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|e| e["user"]["username"] == user && e["stage"] == "ResponseComplete")
            .map(|e| format!("{} {}", e["verb"].as_str().unwrap_or(""), e["requestURI"].as_str().unwrap_or("")))
            .collect()
    }
}

/// A cluster whose controllers run: the API server, kube-controller-manager,
/// kube-scheduler and the node simulator ([`nodesim`]) playing
/// kubelet on `nodes` fake nodes. Deployments create ReplicaSets and pods,
/// the scheduler binds them, the simulator runs them.
pub struct Cluster {
    pub server: Server,
    controllers: Vec<Child>,
    /// Ends the simulator's thread when dropped.
    _sim: std::sync::mpsc::Sender<()>,
}

impl Cluster {
    pub fn start(options: nodesim::Options) -> Cluster {
        let server = Server::start();
        let bin = bin_dir();
        for b in ["kube-controller-manager", "kube-scheduler"] {
            assert!(
                bin.join(b).exists(),
                "no {b} in {}: run `bash tests/k8s/build.sh` (it caches the build)",
                bin.display()
            );
        }
        let admin = server.dir.join("admin.kubeconfig");
        let config = std::fs::read_to_string(server.kubeconfig())
            .unwrap()
            .replace("current-context: console", "current-context: admin");
        std::fs::write(&admin, config).unwrap();
        let log = |name: &str| std::fs::File::create(server.dir.join(name)).unwrap();
        let common = |cmd: &mut Command| {
            cmd.arg(format!("--kubeconfig={}", admin.display())).args([
                "--leader-elect=false",
                "--bind-address=127.0.0.1",
                "--secure-port=0",
                "--port=0",
                "--v=1",
            ]);
        };
        let mut cm = Command::new(bin.join("kube-controller-manager"));
        common(&mut cm);
        cm.arg(format!("--service-account-private-key-file={}", pki().join("sa.key").display()))
            .arg(format!("--root-ca-file={}", pki().join("ca.crt").display()))
            .arg("--controllers=*,-serviceaccount,-serviceaccount-token")
            // A lost node is noticed in seconds, not minutes.
            .args(["--node-monitor-period=2s", "--node-monitor-grace-period=16s", "--pod-eviction-timeout=10s"])
            .stdout(log("controller-manager.log"))
            .stderr(log("controller-manager.err"));
        let mut sched = Command::new(bin.join("kube-scheduler"));
        common(&mut sched);
        sched.stdout(log("scheduler.log")).stderr(log("scheduler.err"));
        let controllers = vec![spawn_tied(cm), spawn_tied(sched)];
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let kubeconfig = admin.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async move {
                let client = client_for(&kubeconfig, "admin").await;
                let sim = tokio::spawn(nodesim::run(client, options));
                // Until the cluster is dropped (the sender with it).
                let _ = tokio::task::spawn_blocking(move || stopped.recv()).await;
                sim.abort();
            });
        });
        Cluster { server, controllers, _sim: stop }
    }

    /// Waits until every simulated node is Ready and the default service
    /// account's namespace exists, so pods can be scheduled.
    pub fn wait_ready(&self, nodes: usize) {
        let start = Instant::now();
        loop {
            let out = self.server.kubectl(&["get", "nodes", "--no-headers"]);
            let ready = out.lines().filter(|l| l.split_whitespace().nth(1) == Some("Ready")).count();
            if ready >= nodes {
                return;
            }
            assert!(start.elapsed() < Duration::from_secs(60), "nodes not Ready after 60 s:\n{out}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for c in &mut self.controllers {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

async fn client_for(kubeconfig: &Path, context: &str) -> kube::Client {
    let file = kube::config::Kubeconfig::read_from(kubeconfig).unwrap();
    let options = kube::config::KubeConfigOptions { context: Some(context.into()), ..Default::default() };
    let config = kube::Config::from_custom_kubeconfig(file, &options).await.unwrap();
    kube::Client::try_from(config).unwrap()
}

/// The living cluster most cluster tests share; each works in its own
/// namespace. Three nodes, a one-second crash back-off.
pub fn shared_cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        let options = nodesim::Options {
            backoff: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(8),
            ..Default::default()
        };
        let nodes = options.nodes;
        let cluster = Cluster::start(options);
        remove_at_exit(cluster.server.data.clone());
        remove_at_exit(cluster.server.dir.clone());
        cluster.wait_ready(nodes);
        cluster
    })
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut a) = self.apiserver.take() {
            let _ = a.kill();
            let _ = a.wait();
        }
        let _ = self.etcd.kill();
        let _ = self.etcd.wait();
        let _ = std::fs::remove_dir_all(&self.data);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The requests among `audited` ones that could change something: all but
/// reads (`get`, `list`, `watch`).
pub fn mutating(requests: &[String]) -> Vec<&String> {
    requests.iter().filter(|r| !["get ", "list ", "watch "].iter().any(|v| r.starts_with(v))).collect()
}

/// The server most tests share; each test works in its own namespace.
///
/// A static is never dropped: its directories (etcd's data is on tmpfs,
/// that is memory) are removed when the test process exits.
pub fn shared() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let server = Server::start();
        remove_at_exit(server.data.clone());
        remove_at_exit(server.dir.clone());
        server
    })
}

/// Directories removed when the test process exits.
static LEFT_AT_EXIT: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// Removes `dir` when the test process exits (through exit(3): returning
/// from main or `process::exit`), for what statics hold: they are never
/// dropped.
fn remove_at_exit(dir: PathBuf) {
    static REGISTERED: std::sync::Once = std::sync::Once::new();
    // SAFETY: registers a plain function once.
    REGISTERED.call_once(|| unsafe {
        libc::atexit(remove_left_at_exit);
    });
    LEFT_AT_EXIT.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(dir);
}

extern "C" fn remove_left_at_exit() {
    let dirs = std::mem::take(&mut *LEFT_AT_EXIT.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    for dir in dirs {
        let _ = std::fs::remove_dir_all(dir);
    }
}
