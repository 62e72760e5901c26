"""The AWS test bed: moto's server with what the console needs and moto lacks.

    launcher.py --port PORT [--host 127.0.0.1] [--trail-seed FILE]

In front of moto's own WSGI application, one middleware:

* speaks the Smithy RPC v2 CBOR protocol the current CloudWatch SDKs use,
  by translating each call to the query protocol moto understands and the
  answer back (botocore's service models, serializers and parsers do the
  work);
* pages DescribeAlarms (moto answers with every alarm at once);
* records every call (service, operation, region, whether it mutates,
  user agent, status, time), for tests to assert what a console did or
  did not do;
* serves CloudTrail LookupEvents from a store holding one event per
  successful mutating call plus seeded events;
* serves CloudWatch DescribeAlarmHistory from the alarm changes it saw;
* injects faults on request (throttling, 5xx, slow answers, garbage
  bodies, expired credentials) for the fault tests.

Test-only endpoints under /_warroom/: GET calls, POST reset, POST trail
(seed events: a JSON list of CloudTrail records), POST faults, POST boto
(a boto3 call made through the server, for seeding what the tests have no
Rust SDK for).
"""

import argparse
import base64
import datetime
import json
import re
import threading
import time
import traceback
import uuid
from urllib.parse import parse_qs, urlencode

import boto3
import botocore.session
from botocore.parsers import QueryParser, RpcV2CBORParser
from botocore.serialize import JSONSerializer, QuerySerializer, RpcV2CBORSerializer
from moto.moto_api._internal import moto_api_backend
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple
from werkzeug.test import EnvironBuilder, run_wsgi_app
from werkzeug.wrappers import Request, Response

ACCOUNT = "123456789012"
PORT = None  # set by main(); /_warroom/boto calls the server itself
SESSION = botocore.session.get_session()
# The credential scope's service name -> botocore's service name.
SERVICES = {"monitoring": "cloudwatch", "rds": "rds", "cloudtrail": "cloudtrail", "sts": "sts"}
READ_PREFIXES = ("Describe", "List", "Get", "Lookup")
CBOR_PATH = re.compile(r"^/service/[^/]+/operation/([A-Za-z]+)$")


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def model(service):
    return SESSION.get_service_model(service)


class Call:
    """One API call as the middleware understands it."""

    def __init__(self, service, op, params, protocol, region, access_key):
        self.service, self.op, self.params = service, op, params
        self.protocol, self.region, self.access_key = protocol, region, access_key

    @property
    def mutating(self):
        return not self.op.startswith(READ_PREFIXES)

    def operation(self):
        return model(self.service).operation_model(self.op)


def credential_scope(request):
    """(access key, region, service) from a SigV4 Authorization header."""
    m = re.search(r"Credential=([^/]+)/\d+/([^/]+)/([^/]+)/", request.headers.get("Authorization", ""))
    return m.groups() if m else (None, None, None)


def decode(request, body):
    """The call a request makes, or None for what is not an AWS API call."""
    access_key, region, scope = credential_scope(request)
    service = SERVICES.get(scope)
    if service is None:
        return None
    if request.headers.get("smithy-protocol") == "rpc-v2-cbor":
        m = CBOR_PATH.match(request.path)
        if not m:
            return None
        params = {}
        if body:
            parser = RpcV2CBORParser()
            params = parser.parse_data_item(parser.get_peekable_stream_from_bytes(body)) or {}
        return Call(service, m.group(1), params, "cbor", region, access_key)
    target = request.headers.get("X-Amz-Target")
    if target:
        return Call(service, target.split(".")[-1], json.loads(body or b"{}"), "json", region, access_key)
    form = parse_qs(body.decode("utf-8", "replace"))
    action = form.get("Action", [None])[0]
    if action is None:
        return None
    # The query protocol's flattened parameters are only needed for the
    # record; moto reads the body itself.
    return Call(service, action, {k: v[0] for k, v in form.items()}, "query", region, access_key)


def plain(value):
    """Decoded CBOR/JSON values made JSON-serialisable for the record."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def encode(call, output, status=200):
    """An answer in the caller's protocol (CBOR or JSON)."""
    shape = call.operation().output_shape
    if call.protocol == "cbor":
        buf = bytearray()
        if shape is not None:
            RpcV2CBORSerializer()._serialize_data_item(buf, output, shape)
        else:
            buf.extend(b"\xa0")
        return Response(bytes(buf), status, {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"})
    body = {}
    if shape is not None:
        JSONSerializer()._serialize(body, output, shape)
    return Response(json.dumps(body), status, {"Content-Type": "application/x-amz-json-1.1"})


def cbor_text(text):
    """A CBOR text string (major type 3)."""
    data = text.encode()
    n = len(data)
    if n < 24:
        head = bytes([0x60 + n])
    elif n < 0x100:
        head = bytes([0x78, n])
    elif n < 0x10000:
        head = bytes([0x79]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x7A]) + n.to_bytes(4, "big")
    return head + data


def error(call, status, code, message):
    """An error in the caller's protocol."""
    if call.protocol == "query":
        xml = (
            f'<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>'
            f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
        )
        return Response(xml, status, {"Content-Type": "text/xml"})
    headers = {"x-amzn-query-error": f"{code};Sender", "x-amzn-ErrorType": code}
    if call.protocol == "cbor":
        buf = bytearray(b"\xa2")  # a map of two text pairs
        for text in ("__type", code, "message", message):
            buf += cbor_text(text)
        headers.update({"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"})
        return Response(bytes(buf), status, headers)
    headers["Content-Type"] = "application/x-amz-json-1.1"
    return Response(json.dumps({"__type": code, "message": message}), status, headers)


class State:
    """What the middleware keeps: the call record, CloudTrail events, alarm
    history and armed faults. One lock: the server is threaded."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.calls = []
        self.trail = []
        self.history = []
        self.faults = []


STATE = State()


def resources(call):
    """CloudTrail's Resources for a call, from its parameters."""
    p = call.params
    out = []
    for key, kind in [
        ("DBInstanceIdentifier", "AWS::RDS::DBInstance"),
        ("DBClusterIdentifier", "AWS::RDS::DBCluster"),
        ("DBSnapshotIdentifier", "AWS::RDS::DBSnapshot"),
        ("DBClusterSnapshotIdentifier", "AWS::RDS::DBClusterSnapshot"),
        ("AlarmName", "AWS::CloudWatch::Alarm"),
        ("Name", "AWS::CloudTrail::Trail"),
    ]:
        if isinstance(p.get(key), str):
            out.append({"ResourceType": kind, "ResourceName": p[key]})
    names = p.get("AlarmNames")
    if isinstance(names, list):
        out += [{"ResourceType": "AWS::CloudWatch::Alarm", "ResourceName": n} for n in names]
    for k, v in p.items():
        if k.startswith("AlarmNames.member."):
            out.append({"ResourceType": "AWS::CloudWatch::Alarm", "ResourceName": v})
    return out


def endpoint_prefix(service):
    return model(service).metadata["endpointPrefix"]


def record_trail(call, request):
    """One CloudTrail event for a successful mutating call."""
    now = utcnow()
    event_id = str(uuid.uuid4())
    user = "oncall"
    record = {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAWARROOMTEST",
            "arn": f"arn:aws:iam::{ACCOUNT}:user/{user}",
            "accountId": ACCOUNT,
            "accessKeyId": call.access_key,
            "userName": user,
        },
        "eventTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": f"{endpoint_prefix(call.service)}.amazonaws.com",
        "eventName": call.op,
        "awsRegion": call.region,
        "sourceIPAddress": request.remote_addr or "127.0.0.1",
        "userAgent": request.headers.get("User-Agent", ""),
        "requestParameters": plain(call.params),
        "responseElements": None,
        "requestID": str(uuid.uuid4()),
        "eventID": event_id,
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
    }
    STATE.trail.append(lookup_event(record, resources(call)))


def lookup_event(record, res=None):
    """A CloudTrail record as LookupEvents returns it."""
    when = datetime.datetime.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc
    )
    identity = record.get("userIdentity") or {}
    user = identity.get("userName") or identity.get("type") or ""
    if res is None:
        res = [
            {"ResourceType": r.get("type", ""), "ResourceName": r.get("ARN", r.get("name", ""))}
            for r in record.get("resources") or []
        ]
    return {
        "EventId": record.get("eventID") or str(uuid.uuid4()),
        "EventName": record["eventName"],
        "ReadOnly": str(bool(record.get("readOnly"))).lower(),
        "AccessKeyId": identity.get("accessKeyId", ""),
        "EventTime": when,
        "EventSource": record.get("eventSource", ""),
        "Username": user,
        "Resources": res,
        "CloudTrailEvent": json.dumps(record),
    }


LOOKUP_KEYS = {
    "EventId": lambda e: [e["EventId"]],
    "EventName": lambda e: [e["EventName"]],
    "ReadOnly": lambda e: [e["ReadOnly"]],
    "Username": lambda e: [e["Username"]],
    "EventSource": lambda e: [e["EventSource"]],
    "AccessKeyId": lambda e: [e["AccessKeyId"]],
    "ResourceType": lambda e: [r["ResourceType"] for r in e["Resources"]],
    "ResourceName": lambda e: [r["ResourceName"] for r in e["Resources"]],
}


def page(items, params, limit_key, default, maximum):
    """One page of `items` and the token for the next, like AWS does."""
    start = int(params.get("NextToken") or 0)
    size = min(int(params.get(limit_key) or default), maximum)
    chunk = items[start : start + size]
    token = str(start + size) if start + size < len(items) else None
    return chunk, token


def lookup_events(call):
    p = call.params
    start, end = p.get("StartTime"), p.get("EndTime")
    # Newest first; within one second, the last recorded first.
    events = sorted(reversed(STATE.trail), key=lambda e: e["EventTime"], reverse=True)
    if start is not None:
        events = [e for e in events if e["EventTime"] >= as_time(start)]
    if end is not None:
        events = [e for e in events if e["EventTime"] <= as_time(end)]
    for attr in p.get("LookupAttributes") or []:
        values = LOOKUP_KEYS[attr["AttributeKey"]]
        events = [e for e in events if attr["AttributeValue"] in values(e)]
    chunk, token = page(events, p, "MaxResults", 50, 50)
    out = {"Events": chunk}
    if token:
        out["NextToken"] = token
    return out


def as_time(v):
    if isinstance(v, datetime.datetime):
        return v if v.tzinfo else v.replace(tzinfo=datetime.timezone.utc)
    return datetime.datetime.fromtimestamp(float(v), datetime.timezone.utc)


def alarm_backend(call):
    from moto.cloudwatch.models import cloudwatch_backends

    return cloudwatch_backends[ACCOUNT][call.region]


def history(call, kind, summary, data=None):
    names = call.params.get("AlarmNames") or [call.params.get("AlarmName")]
    for name in names:
        STATE.history.append(
            {
                "AlarmName": name,
                "AlarmType": "MetricAlarm",
                "Timestamp": utcnow(),
                "HistoryItemType": kind,
                "HistorySummary": summary.format(name=name),
                "HistoryData": json.dumps(data or {}),
            }
        )


def before_alarm_change(call):
    """What DescribeAlarmHistory will say about a call, read before moto
    applies it (it needs the old state); recorded only if it succeeds."""
    if call.service != "cloudwatch":
        return None
    if call.op == "SetAlarmState":
        old = alarm_backend(call).alarms.get(call.params.get("AlarmName"))
        if old is None:
            return None
        new = call.params.get("StateValue")
        data = {"oldState": {"stateValue": old.state_value}, "newState": {"stateValue": new,
                "stateReason": call.params.get("StateReason", "")}}
        return ("StateUpdate", f"Alarm updated from {old.state_value} to {new}", data)
    if call.op == "PutMetricAlarm":
        exists = call.params.get("AlarmName") in alarm_backend(call).alarms
        return ("ConfigurationUpdate", "Alarm \"{name}\" " + ("updated" if exists else "created"), None)
    if call.op in ("DisableAlarmActions", "EnableAlarmActions"):
        verb = "disabled" if call.op.startswith("Disable") else "enabled"
        return ("ConfigurationUpdate", f"Alarm actions {verb} for \"{{name}}\"", None)
    return None


def describe_alarm_history(call):
    p = call.params
    items = [h for h in STATE.history if p.get("AlarmName") in (None, h["AlarmName"])]
    if p.get("HistoryItemType"):
        items = [h for h in items if h["HistoryItemType"] == p["HistoryItemType"]]
    if p.get("StartDate") is not None:
        items = [h for h in items if h["Timestamp"] >= as_time(p["StartDate"])]
    if p.get("EndDate") is not None:
        items = [h for h in items if h["Timestamp"] <= as_time(p["EndDate"])]
    items.sort(key=lambda h: h["Timestamp"], reverse=p.get("ScanBy") != "TimestampAscending")
    chunk, token = page(items, p, "MaxRecords", 100, 100)
    out = {"AlarmHistoryItems": chunk}
    if token:
        out["NextToken"] = token
    return out


# Moto's CloudWatch ignores pagination (its RDS pages by itself): the bridge
# pages these answers, with the service's default page size, so a console
# must follow the tokens.
PAGED = {("cloudwatch", "DescribeAlarms"): (["MetricAlarms", "CompositeAlarms"], "MaxRecords", 50, 100)}


def paginate(call, output):
    spec = PAGED.get((call.service, call.op))
    if spec is None:
        return output
    keys, limit_key, default, maximum = spec
    more = False
    for key in keys:
        chunk, token = page(output.get(key) or [], call.params, limit_key, default, maximum)
        output[key] = chunk
        more = more or token is not None
    output.pop("NextToken", None)
    if more:
        start = int(call.params.get("NextToken") or 0)
        output["NextToken"] = str(start + min(int(call.params.get(limit_key) or default), maximum))
    return output


EXTENSIONS = {("cloudtrail", "LookupEvents"): lookup_events, ("cloudwatch", "DescribeAlarmHistory"): describe_alarm_history}


def take_fault(call):
    """The first armed fault matching this call, consumed once."""
    with STATE.lock:
        for f in STATE.faults:
            if f.get("service") not in (None, call.service) or f.get("operation") not in (None, call.op):
                continue
            if f["count"] == 0:
                continue
            f["count"] -= 1
            return f
    return None


def fault_response(call, fault):
    mode = fault["mode"]
    if mode == "delay":
        time.sleep(fault.get("seconds", 5))
        return None
    if mode == "throttle":
        return error(call, 400, "Throttling", "Rate exceeded")
    if mode == "server":
        return error(call, 500, "InternalFailure", "injected server error")
    if mode == "expired":
        return error(call, 403, "ExpiredToken", "The security token included in the request is expired")
    if mode == "denied":
        return error(call, 403, "AccessDenied", "User is not authorized to perform this operation")
    if mode == "garbage":
        content_type = "application/cbor" if call.protocol == "cbor" else "text/xml"
        headers = {"Content-Type": content_type}
        if call.protocol == "cbor":
            headers["smithy-protocol"] = "rpc-v2-cbor"
        return Response(b"\xff\x00<not what you asked for", 200, headers)
    raise ValueError(f"unknown fault mode {mode}")


class Middleware:
    def __init__(self, moto):
        self.moto = moto

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path.startswith("/_warroom/"):
            return self.admin(request)(environ, start_response)
        body = request.get_data()
        call = decode(request, body)
        if call is None:
            return self.forward(environ, body, dict(request.headers))(environ, start_response)
        fault = take_fault(call)
        response = fault_response(call, fault) if fault else None
        if response is None:
            try:
                response = self.handle(call, request, body)
            except Exception as e:  # the launcher's own bug: say so, in the protocol
                traceback.print_exc()
                response = error(call, 500, "InternalFailure", f"launcher: {type(e).__name__}: {e}")
        with STATE.lock:
            STATE.calls.append(
                {
                    "service": call.service,
                    "operation": call.op,
                    "region": call.region,
                    "mutating": call.mutating,
                    "protocol": call.protocol,
                    "user_agent": request.headers.get("User-Agent", ""),
                    "status": response.status_code,
                    "params": plain(call.params),
                    "time": time.time(),
                }
            )
        return response(environ, start_response)

    def handle(self, call, request, body):
        extension = EXTENSIONS.get((call.service, call.op))
        if extension is not None:
            with STATE.lock:
                return encode(call, extension(call))
        change = before_alarm_change(call)
        if call.protocol == "cbor":
            response = self.bridge(call, request)
        else:
            response = self.forward(request.environ, body, dict(request.headers))
        if response.status_code < 300 and call.mutating:
            with STATE.lock:
                record_trail(call, request)
                if change:
                    history(call, *change)
        return response

    def forward(self, environ, body, headers):
        """Moto's answer to a request as it came."""
        builder = EnvironBuilder(
            path=environ.get("PATH_INFO", "/"),
            query_string=environ.get("QUERY_STRING", ""),
            method=environ.get("REQUEST_METHOD", "GET"),
            headers=headers,
            data=body,
        )
        env = builder.get_environ()
        env["REMOTE_ADDR"] = environ.get("REMOTE_ADDR", "127.0.0.1")
        app_iter, status, headers = run_wsgi_app(self.moto, env, buffered=True)
        return Response(b"".join(app_iter), status, headers)

    def bridge(self, call, request):
        """A CBOR call asked of moto in the query protocol, answered in CBOR."""
        operation = call.operation()
        serialized = QuerySerializer().serialize_to_request(call.params, operation)
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("authorization", "x-amz-date", "user-agent")}
        headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
        headers["Host"] = request.headers.get("Host", "localhost")
        body = serialized["body"]
        if isinstance(body, dict):
            body = urlencode(body)
        env = {"PATH_INFO": "/", "REQUEST_METHOD": "POST", "REMOTE_ADDR": request.remote_addr}
        answer = self.forward(env, body.encode() if isinstance(body, str) else body, headers)
        parsed = QueryParser().parse(
            {"status_code": answer.status_code, "headers": dict(answer.headers), "body": answer.get_data()},
            operation.output_shape,
        )
        if answer.status_code >= 300:
            err = parsed.get("Error", {})
            return error(call, answer.status_code, err.get("Code", "InternalFailure"), err.get("Message", ""))
        parsed.pop("ResponseMetadata", None)
        return encode(call, paginate(call, parsed))

    def admin(self, request):
        what = request.path[len("/_warroom/") :]
        if what == "boto" and request.method == "POST":
            # Seeding through boto3 for what the tests have no Rust SDK
            # for (an S3 bucket for a trail): {service, operation, params}.
            ask = json.loads(request.get_data())
            client = boto3.client(
                ask["service"],
                endpoint_url=f"http://127.0.0.1:{PORT}",
                region_name=ask.get("region", "us-east-1"),
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
            answer = getattr(client, ask["operation"])(**ask.get("params", {}))
            answer.pop("ResponseMetadata", None)
            return Response(json.dumps(plain(answer)), 200, {"Content-Type": "application/json"})
        with STATE.lock:
            if what == "calls":
                return Response(json.dumps(STATE.calls), 200, {"Content-Type": "application/json"})
            if what == "reset" and request.method == "POST":
                STATE.reset()
                moto_api_backend.reset()
                return Response("{}", 200)
            if what == "trail" and request.method == "POST":
                STATE.trail += [lookup_event(r) for r in json.loads(request.get_data())]
                return Response("{}", 200)
            if what == "faults" and request.method == "POST":
                STATE.faults = json.loads(request.get_data())
                return Response("{}", 200)
        return Response("not found", 404)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--trail-seed")
    args = parser.parse_args()
    if args.trail_seed:
        with open(args.trail_seed) as f:
            STATE.trail += [lookup_event(r) for r in json.load(f)]
    global PORT
    PORT = args.port
    moto = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, Middleware(moto), threaded=True)


if __name__ == "__main__":
    main()
