//! The AWS domain of the action router: each confirmed action as the one
//! API call its `aws` CLI equivalent makes, and the service's answer as
//! the result. Refusals (an instance that is not there, one not in a state
//! to reboot, a replica that cannot be promoted) are failures in the
//! service's own words, never a panic.

use std::sync::{Arc, PoisonError, RwLock};

use aws_config::SdkConfig;
use tokio::sync::OnceCell;

use super::{AwsTarget, classify, trail};
use crate::actions::{Action, ActionError, ActionKind, Evidence, Executed, Execution, Executor};

/// Runs AWS actions with the same credentials and region as the panels.
/// Clones share the target: a profile or region switch retargets them all
/// (an action already running finishes where it started).
#[derive(Clone)]
pub struct AwsExecutor {
    inner: Arc<RwLock<Arc<Inner>>>,
}

struct Inner {
    target: AwsTarget,
    /// Loaded on the first action, so starting the console never waits
    /// for the credential chain.
    config: OnceCell<SdkConfig>,
    login: String,
}

impl AwsExecutor {
    pub fn new(target: AwsTarget) -> Self {
        AwsExecutor { inner: Arc::new(RwLock::new(Arc::new(Inner::new(target)))) }
    }

    /// An executor with a ready SDK configuration (tests).
    pub fn with_config(config: SdkConfig, login: String) -> Self {
        let inner = Inner { target: AwsTarget::default(), config: OnceCell::new_with(Some(config)), login };
        AwsExecutor { inner: Arc::new(RwLock::new(Arc::new(inner))) }
    }

    /// Acts with `target`'s profile and region from now on.
    pub fn retarget(&self, target: AwsTarget) {
        *self.inner.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(Inner::new(target));
    }

    /// The SDK configuration actions use (loading it on first use), and
    /// how to renew its credentials.
    pub async fn config(&self) -> (SdkConfig, String) {
        let inner = self.current();
        let config = inner.config().await.clone();
        (config, inner.login.clone())
    }

    fn current(&self) -> Arc<Inner> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

impl Executor for AwsExecutor {
    fn execute(&self, action: Action) -> Execution {
        let inner = self.current();
        Box::pin(async move { inner.run(action).await })
    }
}

impl Inner {
    fn new(target: AwsTarget) -> Self {
        let login = super::login_hint(&target, &super::profiles::load());
        Inner { target, config: OnceCell::new(), login }
    }

    async fn config(&self) -> &SdkConfig {
        self.config.get_or_init(|| super::sdk_config(&self.target)).await
    }

    async fn run(&self, action: Action) -> Result<Executed, ActionError> {
        let title = action.title();
        let config = self.config().await;
        let rds = || aws_sdk_rds::Client::new(config);
        let message = match action.kind {
            ActionKind::RebootDb { id } => {
                let status = self.reboot(&rds(), &id, false).await?;
                format!("reboot of {id} requested; status {status}")
            }
            ActionKind::FailoverDb { id } => {
                let status = self.reboot(&rds(), &id, true).await?;
                format!("reboot of {id} with failover to its standby requested; status {status}")
            }
            ActionKind::FailoverCluster { cluster, to } => {
                let out = rds()
                    .failover_db_cluster()
                    .db_cluster_identifier(&cluster)
                    .target_db_instance_identifier(&to)
                    .send()
                    .await
                    .map_err(|e| self.refused(&e))?;
                format!(
                    "failover of cluster {cluster} to {to} requested; cluster status {}",
                    status(out.db_cluster().and_then(|c| c.status()))
                )
            }
            ActionKind::SnapshotDb { id, snapshot_id } => {
                let out = rds()
                    .create_db_snapshot()
                    .db_instance_identifier(&id)
                    .db_snapshot_identifier(&snapshot_id)
                    .send()
                    .await
                    .map_err(|e| self.refused(&e))?;
                format!(
                    "snapshot {snapshot_id} of {id} started; status {}",
                    status(out.db_snapshot().and_then(|s| s.status()))
                )
            }
            ActionKind::SnapshotCluster { cluster, snapshot_id } => {
                let out = rds()
                    .create_db_cluster_snapshot()
                    .db_cluster_identifier(&cluster)
                    .db_cluster_snapshot_identifier(&snapshot_id)
                    .send()
                    .await
                    .map_err(|e| self.refused(&e))?;
                format!(
                    "snapshot {snapshot_id} of cluster {cluster} started; status {}",
                    status(out.db_cluster_snapshot().and_then(|s| s.status()))
                )
            }
            ActionKind::PromoteReplica { id } => {
                let out = rds()
                    .promote_read_replica()
                    .db_instance_identifier(&id)
                    .send()
                    .await
                    .map_err(|e| self.refused(&e))?;
                format!(
                    "promotion of {id} to a standalone instance requested; status {}",
                    status(out.db_instance().and_then(|i| i.db_instance_status()))
                )
            }
            ActionKind::SetAlarmActions { alarm, enabled } => {
                let cw = aws_sdk_cloudwatch::Client::new(config);
                if enabled {
                    cw.enable_alarm_actions().alarm_names(&alarm).send().await.map_err(|e| self.refused(&e))?;
                    format!("actions of alarm {alarm} enabled")
                } else {
                    cw.disable_alarm_actions().alarm_names(&alarm).send().await.map_err(|e| self.refused(&e))?;
                    format!("actions of alarm {alarm} disabled: it will notify no one")
                }
            }
            ActionKind::ExportTrail { start, end, window } => {
                return self.export(config, &action.scope, start, end, &window).await;
            }
            _ => return Err(ActionError::Unavailable { message: format!("{title} is not an AWS action") }),
        };
        Ok(Executed::message(message))
    }

    /// Every event of the window, looked up afresh at the API's pace, as
    /// one JSON evidence file.
    async fn export(
        &self,
        config: &SdkConfig,
        scope: &crate::actions::Scope,
        start: chrono::DateTime<chrono::Utc>,
        end: chrono::DateTime<chrono::Utc>,
        window: &str,
    ) -> Result<Executed, ActionError> {
        let client = aws_sdk_cloudtrail::Client::new(config);
        let mut pacer = trail::Pacer::default();
        let (events, truncated) =
            trail::fetch_pages(&client, (start, end), trail::EXPORT_MAX_PAGES, &mut pacer, &self.login)
                .await
                .map_err(|e| ActionError::rejected(e.message))?;
        let region = config.region().map_or_else(|| scope.aws_region.clone(), ToString::to_string);
        let meta = trail::ExportMeta {
            account: scope.aws_account.clone(),
            region: region.clone(),
            start,
            end,
            exported_at: chrono::Utc::now(),
            truncated,
        };
        Ok(Executed {
            message: trail::export_message(&meta, events.len()),
            evidence: vec![Evidence {
                label: trail::export_label(&region, window),
                text: trail::export_document(&meta, &events),
            }],
            output: None,
        })
    }

    /// RebootDBInstance, with ForceFailover only when failing over; the
    /// instance's status as answered.
    async fn reboot(&self, rds: &aws_sdk_rds::Client, id: &str, failover: bool) -> Result<String, ActionError> {
        let out = rds
            .reboot_db_instance()
            .db_instance_identifier(id)
            .set_force_failover(failover.then_some(true))
            .send()
            .await
            .map_err(|e| self.refused(&e))?;
        Ok(status(out.db_instance().and_then(|i| i.db_instance_status())).to_string())
    }

    /// The service's refusal in its own words (with the login hint when
    /// the credentials are the problem).
    fn refused<E>(&self, e: &aws_smithy_runtime_api::client::result::SdkError<E, super::HttpResponse>) -> ActionError
    where
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    {
        ActionError::rejected(classify(e, &self.login).message)
    }
}

fn status(s: Option<&str>) -> &str {
    s.unwrap_or("not reported")
}
