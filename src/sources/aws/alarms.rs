//! CloudWatch alarms: DescribeAlarms, metric and composite, every page,
//! converted at once into the console's [`Alarm`].

use aws_sdk_cloudwatch::types::{AlarmType, CompositeAlarm, MetricAlarm, StateValue};
use chrono::{DateTime, Utc};

use super::classify;
use crate::model::{Alarm, AlarmState, HistoryEntry};
use crate::state::{Delta, FeedData, SourceError};

/// Every alarm in the region, as one `Reset`.
pub async fn fetch(client: &aws_sdk_cloudwatch::Client, login: &str) -> Result<FeedData, SourceError> {
    let mut pages = client
        .describe_alarms()
        .alarm_types(AlarmType::MetricAlarm)
        .alarm_types(AlarmType::CompositeAlarm)
        .into_paginator()
        .send();
    let mut alarms = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify(&e, login))?;
        alarms.extend(page.metric_alarms().iter().filter_map(metric_alarm));
        alarms.extend(page.composite_alarms().iter().filter_map(composite_alarm));
    }
    Ok(FeedData::Alarms(Delta::Reset(alarms)))
}

/// How far back an alarm's detail view looks.
pub const HISTORY_WINDOW: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// The alarm's history over [`HISTORY_WINDOW`], newest first (at most 100
/// entries).
pub async fn history(
    client: &aws_sdk_cloudwatch::Client,
    alarm: &str,
    now: DateTime<Utc>,
    login: &str,
) -> Result<Vec<HistoryEntry>, SourceError> {
    let out = client
        .describe_alarm_history()
        .alarm_name(alarm)
        .start_date(aws_time(now - HISTORY_WINDOW))
        .end_date(aws_time(now))
        .max_records(100)
        .send()
        .await
        .map_err(|e| classify(&e, login))?;
    let mut entries: Vec<HistoryEntry> = out
        .alarm_history_items()
        .iter()
        .map(|h| HistoryEntry {
            at: time(h.timestamp()),
            kind: h.history_item_type().map(|k| k.as_str().to_string()).unwrap_or_default(),
            text: h.history_summary().unwrap_or_default().to_string(),
        })
        .collect();
    entries.sort_by_key(|e| std::cmp::Reverse(e.at));
    Ok(entries)
}

/// A time as the SDK takes it, to the nanosecond: an end cut to the whole
/// second would leave out what happened in the current one.
pub fn aws_time(t: DateTime<Utc>) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_secs_and_nanos(t.timestamp(), t.timestamp_subsec_nanos())
}

pub fn time(t: Option<&aws_smithy_types::DateTime>) -> DateTime<Utc> {
    t.and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos())).unwrap_or_default()
}

fn state(s: Option<&StateValue>) -> AlarmState {
    match s {
        Some(StateValue::Alarm) => AlarmState::Alarm,
        Some(StateValue::Ok) => AlarmState::Ok,
        _ => AlarmState::InsufficientData,
    }
}

fn text(s: Option<&str>) -> String {
    s.unwrap_or_default().to_string()
}

/// What metric and composite alarms share; `None` without a name. Since
/// when: the last state transition (a reason can change without one),
/// else the last state update. No metric: a metric alarm fills it in.
#[allow(clippy::too_many_arguments)] // the SDK's two alarm types have no common trait
fn common(
    name: Option<&str>,
    state_value: Option<&StateValue>,
    transitioned: Option<&aws_smithy_types::DateTime>,
    updated: Option<&aws_smithy_types::DateTime>,
    reason: Option<&str>,
    description: Option<&str>,
    actions_enabled: Option<bool>,
    alarm_actions: &[String],
) -> Option<Alarm> {
    Some(Alarm {
        name: name?.to_string(),
        state: state(state_value),
        since: time(transitioned.or(updated)),
        reason: text(reason),
        description: text(description),
        rule: None,
        namespace: String::new(),
        metric: String::new(),
        dimensions: Vec::new(),
        statistic: String::new(),
        comparison: String::new(),
        threshold: 0.0,
        period_s: 0,
        evaluation_periods: 0,
        actions_enabled: actions_enabled.unwrap_or(true),
        alarm_actions: alarm_actions.to_vec(),
    })
}

/// [`common`] of either SDK alarm type: their accessors share names but
/// no trait.
macro_rules! common {
    ($a:expr) => {
        common(
            $a.alarm_name(),
            $a.state_value(),
            $a.state_transitioned_timestamp(),
            $a.state_updated_timestamp(),
            $a.state_reason(),
            $a.alarm_description(),
            $a.actions_enabled(),
            $a.alarm_actions(),
        )
    };
}

/// A metric alarm; a metric-math alarm's metric is the expression it
/// alarms on.
pub fn metric_alarm(a: &MetricAlarm) -> Option<Alarm> {
    let expression = || {
        let q = a.metrics().iter().find(|q| q.return_data().unwrap_or(false)).or_else(|| a.metrics().first())?;
        q.expression().or_else(|| q.label()).or_else(|| q.id()).map(str::to_string)
    };
    let base = common!(a)?;
    Some(Alarm {
        namespace: text(a.namespace()),
        metric: a.metric_name().map(str::to_string).or_else(expression).unwrap_or_default(),
        dimensions: a.dimensions().iter().map(|d| (text(d.name()), text(d.value()))).collect(),
        statistic: a
            .statistic()
            .map(|s| s.as_str().to_string())
            .or_else(|| a.extended_statistic().map(str::to_string))
            .unwrap_or_default(),
        comparison: a.comparison_operator().map(|c| c.as_str().to_string()).unwrap_or_default(),
        threshold: a.threshold().unwrap_or_default(),
        period_s: a.period().and_then(|p| u32::try_from(p).ok()).unwrap_or_default(),
        evaluation_periods: a.evaluation_periods().and_then(|p| u32::try_from(p).ok()).unwrap_or_default(),
        ..base
    })
}

/// A composite alarm: its rule instead of a metric.
pub fn composite_alarm(a: &CompositeAlarm) -> Option<Alarm> {
    let base = common!(a)?;
    Some(Alarm { rule: Some(text(a.alarm_rule())), ..base })
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, MetricDataQuery, Statistic};

    use super::*;

    fn at(secs: i64) -> aws_smithy_types::DateTime {
        aws_smithy_types::DateTime::from_secs(secs)
    }

    #[test]
    fn a_metric_alarm_keeps_what_the_panel_and_details_show() {
        let a = MetricAlarm::builder()
            .alarm_name("orders-db-high-cpu")
            .alarm_description("runbook: rds#high-cpu")
            .state_value(StateValue::Alarm)
            .state_reason("Threshold Crossed: 3 datapoints were greater than the threshold (80.0).")
            .state_updated_timestamp(at(2_000))
            .state_transitioned_timestamp(at(1_000))
            .namespace("AWS/RDS")
            .metric_name("CPUUtilization")
            .dimensions(Dimension::builder().name("DBInstanceIdentifier").value("orders-db").build())
            .statistic(Statistic::Average)
            .comparison_operator(ComparisonOperator::GreaterThanThreshold)
            .threshold(80.0)
            .period(60)
            .evaluation_periods(3)
            .actions_enabled(false)
            .alarm_actions("arn:aws:sns:eu-west-1:123456789012:pager")
            .build();
        let alarm = metric_alarm(&a).unwrap();
        assert_eq!(alarm.state, AlarmState::Alarm);
        assert_eq!(alarm.since.timestamp(), 1_000, "since the transition, not the last reason update");
        assert_eq!(alarm.dimensions, [("DBInstanceIdentifier".to_string(), "orders-db".to_string())]);
        assert_eq!((alarm.statistic.as_str(), alarm.comparison.as_str()), ("Average", "GreaterThanThreshold"));
        assert_eq!((alarm.threshold, alarm.period_s, alarm.evaluation_periods), (80.0, 60, 3));
        assert!(!alarm.actions_enabled);
        assert_eq!(alarm.description, "runbook: rds#high-cpu");
        assert_eq!(alarm.rule, None);
    }

    #[test]
    fn a_metric_math_alarm_names_its_expression_and_a_missing_state_is_insufficient_data() {
        let a = MetricAlarm::builder()
            .alarm_name("error-rate")
            .metrics(MetricDataQuery::builder().id("m1").return_data(false).build())
            .metrics(MetricDataQuery::builder().id("e1").expression("m1/m2*100").return_data(true).build())
            .extended_statistic("p99")
            .state_updated_timestamp(at(5))
            .build();
        let alarm = metric_alarm(&a).unwrap();
        assert_eq!(alarm.metric, "m1/m2*100");
        assert_eq!(alarm.statistic, "p99");
        assert_eq!(alarm.state, AlarmState::InsufficientData);
        assert_eq!(alarm.since.timestamp(), 5, "the update time when no transition is known");
        assert!(metric_alarm(&MetricAlarm::builder().build()).is_none(), "no name, no alarm");
    }

    #[test]
    fn times_go_to_the_sdk_and_back_to_the_nanosecond() {
        let t = crate::fixtures::t0() + chrono::TimeDelta::nanoseconds(401_915_123);
        assert_eq!(time(Some(&aws_time(t))), t);
    }

    #[test]
    fn a_composite_alarm_carries_its_rule() {
        let a = CompositeAlarm::builder()
            .alarm_name("orders-degraded")
            .alarm_rule("ALARM(orders-db-high-cpu) OR ALARM(orders-5xx)")
            .state_value(StateValue::Ok)
            .build();
        let alarm = composite_alarm(&a).unwrap();
        assert_eq!(alarm.rule.as_deref(), Some("ALARM(orders-db-high-cpu) OR ALARM(orders-5xx)"));
        assert_eq!(alarm.state, AlarmState::Ok);
    }
}
