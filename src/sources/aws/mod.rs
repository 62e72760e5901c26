//! The AWS source: CloudWatch alarms, RDS instances and their metrics,
//! CloudTrail events and trails, polled with the SDK's standard
//! credential chain.
//!
//! The source first asks STS who the credentials belong to. That answer
//! names the account in the status bar; failing it (no credentials,
//! expired ones, no region) fails every AWS feed with the reason and the
//! command that fixes it, and the source tries again on the error's
//! schedule. Then each feed polls on its own ([`poll`]): one slow or
//! failing service never holds up another.

pub mod alarms;
pub mod control;
pub mod execute;
pub mod poll;
pub mod profiles;
pub mod rds;
pub mod trail;

use std::sync::Arc;
use std::time::Duration;

use aws_config::{AppName, BehaviorVersion, Region, SdkConfig};
pub use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use tokio::sync::mpsc;

use super::clock::Clock;
pub use crate::model::AwsCaller;
use crate::state::{Delta, ErrorKind, FeedData, FeedId, FeedSignal, SourceError, SourceUpdate};
pub use control::{Account, LiveAccount};
pub use execute::AwsExecutor;

/// The feeds this source serves.
pub const FEEDS: [FeedId; 5] =
    [FeedId::Alarms, FeedId::DbInstances, FeedId::DbMetrics, FeedId::TrailEvents, FeedId::TrailStatus];

/// How long one call (all its attempts) may take.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(20);
/// How long one poll may take, all its calls (a CloudTrail poll of 40
/// pages at the API's pace takes 20 s): a backstop for a poll stuck where
/// no call's timeout reaches (loading credentials).
pub const POLL_TIMEOUT: Duration = Duration::from_secs(60);

/// Which account and region to look at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsTarget {
    /// A profile of the shared config; `None` for the default chain.
    pub profile: Option<String>,
    /// `None`: the profile's or the environment's.
    pub region: Option<String>,
}

/// The SDK configuration for `target`: the standard chain (environment,
/// shared profiles, SSO, assume-role, container and instance profiles),
/// `AWS_ENDPOINT_URL` honoured, one retry, a timeout per call. The user
/// agent names the console, so a server's logs tell its calls apart.
pub async fn sdk_config(target: &AwsTarget) -> SdkConfig {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(CALL_TIMEOUT / 2)
        .operation_timeout(CALL_TIMEOUT)
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts)
        .retry_config(RetryConfig::standard().with_max_attempts(2));
    if let Ok(name) = AppName::new("warroom") {
        loader = loader.app_name(name);
    }
    if let Some(p) = &target.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = &target.region {
        loader = loader.region(Region::new(r.clone()));
    }
    loader.load().await
}

/// The profile in words for the status bar (`default` when none is named).
pub fn profile_label(target: &AwsTarget) -> String {
    target.profile.clone().or_else(|| std::env::var("AWS_PROFILE").ok()).unwrap_or_else(|| "default".into())
}

/// The region as far as it is known before the source connects: the
/// target's, the environment's, else the profile's (the caller answer
/// names the one really used).
pub fn region_label(target: &AwsTarget, profiles: &[profiles::Profile]) -> String {
    let profile = profile_label(target);
    target
        .region
        .clone()
        .or_else(|| std::env::var("AWS_REGION").ok())
        .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
        .or_else(|| profiles.iter().find(|p| p.name == profile).and_then(|p| p.region.clone()))
        .unwrap_or_else(|| "?".into())
}

/// What fixes an authentication failure for `target`, in words.
pub fn login_hint(target: &AwsTarget, profiles: &[profiles::Profile]) -> String {
    let name = target.profile.clone().or_else(|| std::env::var("AWS_PROFILE").ok());
    match name {
        Some(name) => match profiles.iter().find(|p| p.name == name) {
            Some(p) if p.sso => format!("run `aws sso login --profile {name}`"),
            Some(_) => format!("refresh profile {name}'s credentials (`aws configure --profile {name}`)"),
            None => format!("the shared config has no profile `{name}` (`aws configure --profile {name}`)"),
        },
        None => "set credentials: AWS_PROFILE and `aws sso login`, `aws configure`, or AWS_ACCESS_KEY_ID".into(),
    }
}

/// Classifies an SDK error by what the engineer can do about it; `login`
/// is added to authentication failures.
pub fn classify<E>(e: &SdkError<E, HttpResponse>, login: &str) -> SourceError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let text = DisplayErrorContext(e).to_string();
    let error = match e {
        SdkError::TimeoutError(_) => SourceError::new(ErrorKind::Timeout, text),
        SdkError::DispatchFailure(d) if d.is_timeout() => SourceError::new(ErrorKind::Timeout, text),
        SdkError::DispatchFailure(d) if d.is_user() => SourceError::new(ErrorKind::Unauthorized, text),
        SdkError::DispatchFailure(_) => SourceError::new(ErrorKind::Network, text),
        SdkError::ServiceError(s) => {
            let err = s.err();
            let code = err.code().unwrap_or("");
            let message = err.message().unwrap_or("");
            let words = match (code, message) {
                ("", "") => text,
                (code, "") => code.to_string(),
                ("", message) => message.to_string(),
                (code, message) => format!("{code}: {message}"),
            };
            match code_kind(code) {
                Some(kind) => SourceError::new(kind, words),
                None => SourceError::from_status(s.raw().status().as_u16(), words),
            }
        }
        SdkError::ResponseError(_) => SourceError::new(ErrorKind::Malformed, text),
        // Building the request failed: with the standard chain that is
        // almost always no credentials or no region.
        SdkError::ConstructionFailure(_) => SourceError::new(ErrorKind::Unauthorized, text),
        _ => SourceError::new(ErrorKind::Network, text),
    };
    if error.kind == ErrorKind::Unauthorized {
        SourceError::new(ErrorKind::Unauthorized, format!("{} — {login}", error.message))
    } else {
        error
    }
}

/// AWS error codes whose kind the HTTP status does not tell (throttling
/// comes back as 400, expired tokens as 400 or 403).
fn code_kind(code: &str) -> Option<ErrorKind> {
    Some(match code {
        "Throttling"
        | "ThrottlingException"
        | "ThrottledException"
        | "RequestLimitExceeded"
        | "TooManyRequestsException"
        | "RequestThrottled"
        | "RequestThrottledException"
        | "SlowDown" => ErrorKind::Throttled,
        "ExpiredToken"
        | "ExpiredTokenException"
        | "InvalidClientTokenId"
        | "UnrecognizedClientException"
        | "InvalidSignatureException"
        | "SignatureDoesNotMatch"
        | "AuthFailure"
        | "MissingAuthenticationToken"
        | "IncompleteSignature"
        | "RequestExpired" => ErrorKind::Unauthorized,
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" => ErrorKind::Forbidden,
        "InternalFailure" | "InternalError" | "ServiceUnavailable" | "ServiceUnavailableException" => ErrorKind::Server,
        _ => return None,
    })
}

/// The part of a caller ARN that names who it is within the account:
/// `assumed-role/OnCall/alice` of `arn:aws:sts::1234:assumed-role/OnCall/alice`.
pub fn caller_name(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}

/// Who the credentials are, and the region the calls go to.
pub async fn caller(config: &SdkConfig, login: &str) -> Result<AwsCaller, SourceError> {
    let region = config.region().map(ToString::to_string).ok_or_else(|| {
        SourceError::new(
            ErrorKind::NotFound,
            "no AWS region: pass --region, set AWS_REGION, or give the profile a region",
        )
    })?;
    let answer =
        aws_sdk_sts::Client::new(config).get_caller_identity().send().await.map_err(|e| classify(&e, login))?;
    Ok(AwsCaller {
        account: answer.account().unwrap_or_default().to_string(),
        arn: answer.arn().unwrap_or_default().to_string(),
        region,
    })
}

/// Runs the AWS source for `target` until the console stops listening.
pub async fn run(
    target: AwsTarget,
    intervals: Intervals,
    lookback: Arc<trail::Lookback>,
    clock: Arc<dyn Clock>,
    tx: mpsc::Sender<SourceUpdate>,
) {
    for feed in FEEDS {
        if tx.send(SourceUpdate::signal(feed, clock.now(), FeedSignal::Connecting)).await.is_err() {
            return;
        }
    }
    let login = login_hint(&target, &profiles::load());
    let config = sdk_config(&target).await;
    serve(config, login, intervals, lookback, clock, tx).await;
}

/// The source with a ready SDK configuration: asks STS who it is (until
/// it gets an answer, failing every feed meanwhile), says so, then polls
/// every feed. `login` says how to renew failed credentials; `lookback`
/// is how far back the CloudTrail events go.
pub async fn serve(
    config: SdkConfig,
    login: String,
    intervals: Intervals,
    lookback: Arc<trail::Lookback>,
    clock: Arc<dyn Clock>,
    tx: mpsc::Sender<SourceUpdate>,
) {
    let mut attempt = 0;
    let who = loop {
        match caller(&config, &login).await {
            Ok(who) => break who,
            Err(error) => {
                attempt += 1;
                let (signal, delay) = super::failed(error, attempt, &*clock);
                for feed in FEEDS {
                    if tx.send(SourceUpdate::signal(feed, clock.now(), signal.clone())).await.is_err() {
                        return;
                    }
                }
                tokio::time::sleep(delay).await;
            }
        }
    };
    if tx.send(SourceUpdate::caller(clock.now(), who)).await.is_err() {
        return;
    }
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&config);
    let rds = aws_sdk_rds::Client::new(&config);
    let alarms = poll::run(FeedId::Alarms, intervals.alarms, clock.clone(), tx.clone(), {
        let (client, login) = (cloudwatch.clone(), login.clone());
        move || {
            let (client, login) = (client.clone(), login.clone());
            async move { Ok(vec![alarms::fetch(&client, &login).await?]) }
        }
    });
    // The metrics poller asks for the instances the last listing found
    // (and waits for the first listing).
    let (ids_tx, ids_rx) = tokio::sync::watch::channel(None::<Vec<String>>);
    let instances = poll::run(FeedId::DbInstances, intervals.rds, clock.clone(), tx.clone(), {
        let login = login.clone();
        move || {
            let (client, login, ids) = (rds.clone(), login.clone(), ids_tx.clone());
            async move {
                let found = rds::fetch_instances(&client, &login).await?;
                ids.send_replace(Some(found.iter().map(|i| i.id.clone()).collect()));
                Ok(vec![FeedData::DbInstances(Delta::Reset(found))])
            }
        }
    });
    let mut listed = ids_rx.clone();
    let metrics = poll::run(FeedId::DbMetrics, intervals.rds, clock.clone(), tx.clone(), {
        let (client, login, clock) = (cloudwatch.clone(), login.clone(), clock.clone());
        move || {
            let (client, login, ids, now) = (client.clone(), login.clone(), ids_rx.borrow().clone(), clock.now());
            async move { Ok(vec![rds::fetch_metrics(&client, &ids.unwrap_or_default(), now, &login).await?]) }
        }
    });
    let cloudtrail = aws_sdk_cloudtrail::Client::new(&config);
    let state = Arc::new(tokio::sync::Mutex::new(trail::Events::default()));
    let fetch_events = {
        let (client, login, clock, lookback) = (cloudtrail.clone(), login.clone(), clock.clone(), lookback.clone());
        move || {
            let (client, login, state, now, window) =
                (client.clone(), login.clone(), state.clone(), clock.now(), lookback.get());
            async move {
                let mut state = state.lock().await;
                let start = state.start(now, window);
                let found = trail::fetch_events(&client, start, now, &mut state.pacer, &login).await?;
                Ok(state.delivered(now, window, found))
            }
        }
    };
    let events = poll::run_woken(FeedId::TrailEvents, intervals.trail, clock.clone(), tx.clone(), fetch_events, || {
        let lookback = lookback.clone();
        async move { lookback.changed().await }
    });
    let trails = poll::run(FeedId::TrailStatus, intervals.trail, clock.clone(), tx.clone(), move || {
        let (client, login) = (cloudtrail.clone(), login.clone());
        async move { Ok(vec![FeedData::Trails(Delta::Reset(trail::fetch_trails(&client, &login).await?))]) }
    });
    // Metrics start with the first listing of the instances.
    let metrics = async move {
        if listed.wait_for(Option::is_some).await.is_ok() {
            metrics.await;
        }
    };
    tokio::join!(alarms, instances, metrics, events, trails);
}

/// How often each feed polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intervals {
    pub alarms: Duration,
    /// DB instances and their metrics.
    pub rds: Duration,
    /// CloudTrail events and trail status.
    pub trail: Duration,
}

impl Default for Intervals {
    fn default() -> Self {
        Intervals { alarms: Duration::from_secs(30), rds: Duration::from_secs(30), trail: Duration::from_secs(60) }
    }
}

#[cfg(test)]
mod tests;
