//! CloudWatch alarms evaluated against the demo's metrics the way
//! CloudWatch does: every evaluation period breaching for ALARM, with the
//! state reasons CloudWatch writes.

use super::*;

impl DemoWorld {
    pub(super) fn evaluate_alarms(&mut self) {
        let now = self.now;
        let crashing = self.pods.values().filter(|p| p.status() == "CrashLoopBackOff").count();
        let fixed_for = self.fixed_at.map(|t| (now - t).num_seconds());
        let values: Vec<Option<f64>> = self
            .alarms
            .iter()
            .map(|alarm| {
                // RDS alarms read their instance's metric, as CloudWatch does.
                let instance = alarm.dimensions.iter().find(|(k, _)| k == "DBInstanceIdentifier").map(|(_, id)| id);
                match (instance, alarm.name.as_str()) {
                    (Some(id), _) => self.latest_metric(id, &alarm.metric),
                    (_, "backend-5xx-rate") => Some(if crashing >= 2 {
                        14.2
                    } else if fixed_for.is_some() {
                        0.3
                    } else {
                        0.4
                    }),
                    (_, "api-p99-latency") => Some(if crashing >= 3 { 2.8 } else { 0.21 }),
                    _ => None,
                }
            })
            .collect();
        let mut changed = false;
        for (alarm, value) in self.alarms.iter_mut().zip(values) {
            let Some(value) = value else { continue };
            let Some(breaches) = comparison_holds(&alarm.comparison, value, alarm.threshold) else { continue };
            let n = alarm.evaluation_periods.max(1) as usize;
            let points = self.alarm_points.entry(alarm.name.clone()).or_default();
            points.push((now, value));
            if points.len() > n {
                points.drain(..points.len() - n);
            }
            let breaching = points.len() == n
                && points.iter().all(|&(_, v)| comparison_holds(&alarm.comparison, v, alarm.threshold) == Some(true));
            // ALARM needs every evaluated datapoint breaching; one datapoint
            // back inside the threshold returns to OK, as CloudWatch does.
            let next = if breaching {
                AlarmState::Alarm
            } else if !breaches || alarm.state != AlarmState::Alarm {
                AlarmState::Ok
            } else {
                continue;
            };
            if next != alarm.state {
                alarm.reason = threshold_reason(alarm, points, next);
                alarm.state = next;
                alarm.since = now;
                changed = true;
            }
        }
        self.dirty.alarms |= changed;
    }
}

/// Whether `value` breaches `threshold` under a CloudWatch comparison
/// operator; `None` for operators the demo does not use.
pub(super) fn comparison_holds(comparison: &str, value: f64, threshold: f64) -> Option<bool> {
    match comparison {
        "GreaterThanOrEqualToThreshold" => Some(value >= threshold),
        "GreaterThanThreshold" => Some(value > threshold),
        "LessThanThreshold" => Some(value < threshold),
        "LessThanOrEqualToThreshold" => Some(value <= threshold),
        _ => None,
    }
}

pub(super) fn comparison_words(comparison: &str) -> &'static str {
    match comparison {
        "GreaterThanOrEqualToThreshold" => "greater than or equal to",
        "GreaterThanThreshold" => "greater than",
        "LessThanThreshold" => "less than",
        "LessThanOrEqualToThreshold" => "less than or equal to",
        _ => "compared with",
    }
}

/// The state reason CloudWatch writes for a threshold transition, from the
/// datapoints evaluated (newest last): every datapoint of the evaluation
/// periods for ALARM, the newest one for the way back to OK.
pub(super) fn threshold_reason(alarm: &Alarm, points: &[(DateTime<Utc>, f64)], to: AlarmState) -> String {
    let n = alarm.evaluation_periods.max(1);
    let op = comparison_words(&alarm.comparison);
    let threshold = alarm.threshold;
    let fmt = |pts: &[(DateTime<Utc>, f64)]| {
        pts.iter()
            .rev()
            .map(|(t, v)| format!("{v:.1} ({})", t.format("%d/%m/%y %H:%M:%S")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let plural = |k: u32| if k == 1 { "datapoint" } else { "datapoints" };
    if to == AlarmState::Alarm {
        let shown = &points[points.len().saturating_sub(n as usize)..];
        if n == 1 {
            return format!("Threshold Crossed: 1 datapoint [{}] was {op} the threshold ({threshold:.1}).", fmt(shown));
        }
        format!(
            "Threshold Crossed: {n} out of the last {n} datapoints [{}] were {op} the threshold ({threshold:.1}) \
             (minimum {n} {} for OK -> ALARM transition).",
            fmt(shown),
            plural(n)
        )
    } else {
        let shown = &points[points.len().saturating_sub(1)..];
        if n == 1 {
            return format!(
                "Threshold Crossed: 1 datapoint [{}] was not {op} the threshold ({threshold:.1}).",
                fmt(shown)
            );
        }
        format!(
            "Threshold Crossed: 1 out of the last {n} datapoints [{}] was not {op} the threshold ({threshold:.1}) \
             (minimum 1 datapoint for ALARM -> OK transition).",
            fmt(shown)
        )
    }
}

pub(super) fn initial_alarms(since: DateTime<Utc>) -> Vec<Alarm> {
    let mk = |name: &str, ns: &str, metric: &str, dim: (&str, &str), stat: &str, cmp: &str, threshold: f64| Alarm {
        name: name.into(),
        state: AlarmState::Ok,
        since,
        reason: format!("Threshold Crossed: no datapoints were breaching the threshold ({threshold:.1})."),
        description: String::new(),
        rule: None,
        namespace: ns.into(),
        metric: metric.into(),
        dimensions: vec![(dim.0.into(), dim.1.into())],
        statistic: stat.into(),
        comparison: cmp.into(),
        threshold,
        period_s: 60,
        evaluation_periods: 3,
        actions_enabled: true,
        alarm_actions: vec!["arn:aws:sns:eu-west-1:123456789012:oncall-pager".into()],
    };
    let ge = "GreaterThanOrEqualToThreshold";
    let mut alarms = vec![
        mk("orders-db-high-cpu", "AWS/RDS", "CPUUtilization", ("DBInstanceIdentifier", PRIMARY), "Average", ge, 80.0),
        mk(
            "orders-db-connections-high",
            "AWS/RDS",
            "DatabaseConnections",
            ("DBInstanceIdentifier", PRIMARY),
            "Maximum",
            ge,
            400.0,
        ),
        mk(
            "orders-db-free-storage-low",
            "AWS/RDS",
            "FreeStorageSpace",
            ("DBInstanceIdentifier", PRIMARY),
            "Minimum",
            "LessThanThreshold",
            50.0,
        ),
        mk("orders-db-replica-lag", "AWS/RDS", "ReplicaLag", ("DBInstanceIdentifier", REPLICA), "Maximum", ge, 10.0),
        mk(
            "backend-5xx-rate",
            "AWS/ApplicationELB",
            "HTTPCode_Target_5XX_Count",
            ("TargetGroup", "shop-backend"),
            "Sum",
            ge,
            5.0,
        ),
        mk("api-p99-latency", "AWS/ApplicationELB", "TargetResponseTime", ("TargetGroup", "shop-api"), "p99", ge, 1.5),
        mk(
            "alb-unhealthy-hosts",
            "AWS/ApplicationELB",
            "UnHealthyHostCount",
            ("LoadBalancer", "shop-alb"),
            "Maximum",
            ge,
            1.0,
        ),
        mk(
            "worker-queue-depth",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            ("QueueName", "orders"),
            "Average",
            ge,
            5000.0,
        ),
        mk(
            "worker-dlq-messages",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            ("QueueName", "orders-dlq"),
            "Sum",
            ge,
            1.0,
        ),
        mk(
            "frontend-4xx-rate",
            "AWS/CloudFront",
            "4xxErrorRate",
            ("DistributionId", "E2QWRUHAPOMQZL"),
            "Average",
            ge,
            5.0,
        ),
        mk(
            "nat-gateway-errors",
            "AWS/NATGateway",
            "ErrorPortAllocation",
            ("NatGatewayId", "nat-0a1b2c3d"),
            "Sum",
            ge,
            1.0,
        ),
        mk("billing-estimated-charges", "AWS/Billing", "EstimatedCharges", ("Currency", "USD"), "Maximum", ge, 25000.0),
        mk("billing-db-high-cpu", "AWS/RDS", "CPUUtilization", ("DBInstanceIdentifier", BILLING), "Average", ge, 80.0),
    ];
    // One alarm nobody has fed for a while: insufficient data is normal in
    // real accounts and the panel must show it.
    if let Some(a) = alarms.iter_mut().find(|a| a.name == "nat-gateway-errors") {
        a.state = AlarmState::InsufficientData;
        a.reason = "Insufficient Data: 3 datapoints were unknown.".into();
    }
    alarms
}
