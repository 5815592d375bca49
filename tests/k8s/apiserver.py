#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""apiserver.py - a Kubernetes API server for tests, Python 3 standard library (and PyYAML to
read the CRD file).

It serves what rdmanet-ipam uses, the way kube-apiserver does: whereabouts' IPPool and
OverlappingRangeIPReservation custom resources (whereabouts.cni.cncf.io/v1alpha1, namespaced,
validated and pruned with the structural schemas of the CRD file given with --crds, by default
deploy/crds.yaml) and core/v1
pods, with bearer-token and client-certificate authentication, RBAC-like authorization, etcd-like
resourceVersions (one global revision counter, MVCC snapshots for paginated lists, compaction),
and the apiserver's own error Status objects.  Every behaviour was written against the apiserver,
apiextensions-apiserver and apimachinery sources; the messages are theirs.

    apiserver.py --listen 127.0.0.1:0 --cert S.crt --key S.key [--client-ca CA.crt]
                 [--tokens tokens.json] [--admin-token T] [--state-file state.json]
                 [--port-file P] [--namespace NS ...] [--plain-http] [--log FILE]
                 [--crds crds.yaml]

tokens.json: {"TOKEN": {"user": "name", "groups": [...], "allow": ["*"] | ["get:ippools", ...]}}
Test hooks under /_test/ (faults, stats, pods, objects, namespaces, compact, dump) need
"Authorization: Bearer <--admin-token>"; tests/k8s/README.md describes them.
"""

import argparse
import base64
import copy
import datetime
import hmac
import http.server
import ipaddress
import json
import os
import posixpath
import random
import re
import signal
import socket
import socketserver
import ssl
import sys
import threading
import time
import traceback
import urllib.parse
import uuid

GROUP = "whereabouts.cni.cncf.io"
VERSION = "v1alpha1"
MAX_REQUEST_BODY = 3 * 1024 * 1024          # apiserver's MaxRequestBodyBytes
MAX_JSON_PATCH_OPS = 10000                  # handlers/patch.go maxJSONPatchOperations
OPTIMISTIC_LOCK_MSG = ("the object has been modified; please apply your changes to the "
                       "latest version and try again")
DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
KUBE_VERSION = {"major": "1", "minor": "31", "gitVersion": "v1.31.0-rdmanet-test",
                "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
                "buildDate": "2024-08-13T00:00:00Z", "goVersion": "go1.22.5", "compiler": "gc",
                "platform": "linux/amd64"}
LOG = None


def log(msg):
    if LOG:
        LOG.write("%s %s\n" % (time.strftime("%H:%M:%S"), msg))
        LOG.flush()


def now_rfc3339(offset_s=0):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset_s)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def go_json(obj, sort_keys=False):
    """JSON as Go's encoding/json writes it: compact, UTF-8, HTML-escaped, newline-terminated."""
    s = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, sort_keys=sort_keys)
    for a, b in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                 ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        s = s.replace(a, b)
    return (s + "\n").encode()


def go_quote(s):
    return json.dumps(s, ensure_ascii=False)


# ---------------------------------------------------------------------------------------------
# errors: k8s.io/apimachinery/pkg/api/errors and util/validation/field

def _details(name="", group="", kind="", uid="", causes=None, retry=0):
    d = {}
    if name:
        d["name"] = name
    if group:
        d["group"] = group
    if kind:
        d["kind"] = kind
    if uid:
        d["uid"] = uid
    if causes:
        d["causes"] = causes
    if retry:
        d["retryAfterSeconds"] = retry
    return d


def gr_string(group, resource):
    return resource + "." + group if group else resource


class APIError(Exception):
    def __init__(self, code, reason, message, details=None, list_meta=None, headers=None):
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message
        self.details, self.list_meta, self.headers = details, list_meta, headers or {}

    def status(self):
        st = {"kind": "Status", "apiVersion": "v1", "metadata": self.list_meta or {},
              "status": "Failure"}
        if self.message:
            st["message"] = self.message
        if self.reason:
            st["reason"] = self.reason
        if self.details is not None:
            st["details"] = self.details
        st["code"] = self.code
        return st


def err_not_found(group, resource, name):
    return APIError(404, "NotFound", "%s %s not found" % (gr_string(group, resource), go_quote(name)),
                    _details(name, group, resource))


def err_already_exists(group, resource, name):
    return APIError(409, "AlreadyExists",
                    "%s %s already exists" % (gr_string(group, resource), go_quote(name)),
                    _details(name, group, resource))


def err_conflict(group, resource, name, msg):
    return APIError(409, "Conflict", "Operation cannot be fulfilled on %s %s: %s"
                    % (gr_string(group, resource), go_quote(name), msg), _details(name, group, resource))


def err_forbidden(group, resource, name, msg):
    if not resource and not group:
        message = "forbidden: %s" % msg
    elif not name:
        message = "%s is forbidden: %s" % (gr_string(group, resource), msg)
    else:
        message = "%s %s is forbidden: %s" % (gr_string(group, resource), go_quote(name), msg)
    return APIError(403, "Forbidden", message, _details(name, group, resource))


def err_unauthorized():
    return APIError(401, "Unauthorized", "Unauthorized")


def err_bad_request(msg):
    return APIError(400, "BadRequest", msg)


def err_internal(msg):
    return APIError(500, "InternalError", "Internal error occurred: %s" % msg,
                    _details(causes=[{"message": msg}]))


def err_unknown(code, msg):
    """A plain Go error that reached the handler: ErrorToAPIStatus gives it no reason."""
    return APIError(code, "", msg)


def err_method_not_supported(group, resource, action):
    return APIError(405, "MethodNotAllowed", "%s is not supported on resources of kind %s"
                    % (action, go_quote(gr_string(group, resource))), _details("", group, resource))


def err_unsupported_media(accepted):
    return APIError(415, "UnsupportedMediaType",
                    "the body of the request was in an unknown format - accepted media types "
                    "include: " + ", ".join(accepted))


def err_too_large(msg):
    return APIError(413, "RequestEntityTooLarge", "Request entity too large: " + msg)


def err_gone(msg, cont=None):
    return APIError(410, "Expired", msg, None, {"continue": cont} if cont else None)


def err_timeout(msg, retry=0, causes=None):
    return APIError(504, "Timeout", "Timeout: " + msg, _details(causes=causes, retry=retry))


def err_generic(code, server_message=""):
    """NewGenericServerResponse(code, "", GroupResource{}, "", msg, 0, false)."""
    table = {
        409: ("Conflict", "the server reported a conflict"),
        404: ("NotFound", "the server could not find the requested resource"),
        400: ("BadRequest", "the server rejected our request for an unknown reason"),
        401: ("Unauthorized", "the server has asked for the client to provide credentials"),
        403: ("Forbidden", server_message),
        415: ("UnsupportedMediaType", server_message),
        405: ("MethodNotAllowed", "the server does not allow this method on the requested resource"),
        422: ("Invalid", "the server rejected our request due to an error in our request"),
        503: ("ServiceUnavailable", "the server is currently unable to handle the request"),
        504: ("Timeout", "the server was unable to return a response in the time allotted, but "
                         "may still be processing the request"),
        429: ("TooManyRequests", "the server has received too many requests and has asked us to "
                                 "try again later"),
    }
    if code in table:
        reason, msg = table[code]
    elif code >= 500:
        reason = "InternalError"
        msg = "an error on the server (%s) has prevented the request from succeeding" % go_quote(server_message)
    else:
        reason, msg = "", "the server responded with the status code %d but did not return more information" % code
    return APIError(code, reason, msg, {})


OMIT = object()
FIELD_TYPES = {
    "FieldValueNotFound": "Not found", "FieldValueRequired": "Required value",
    "FieldValueDuplicate": "Duplicate value", "FieldValueInvalid": "Invalid value",
    "FieldValueNotSupported": "Unsupported value", "FieldValueForbidden": "Forbidden",
    "FieldValueTooLong": "Too long", "FieldValueTooMany": "Too many",
    "InternalError": "Internal error", "FieldValueTypeInvalid": "Invalid value",
}


class FieldError:
    def __init__(self, typ, field, value=OMIT, detail=""):
        self.type, self.field, self.value, self.detail = typ, field, value, detail

    def body(self):
        name = FIELD_TYPES[self.type]
        if self.type in ("FieldValueRequired", "FieldValueForbidden", "FieldValueTooLong",
                         "InternalError") or self.value is OMIT:
            s = name
        elif isinstance(self.value, bool):
            s = "%s: %s" % (name, "true" if self.value else "false")
        elif isinstance(self.value, (int, float)):
            s = "%s: %s" % (name, self.value)
        elif isinstance(self.value, str):
            s = "%s: %s" % (name, go_quote(self.value))
        else:
            s = "%s: %s" % (name, json.dumps(self.value, separators=(",", ":"), sort_keys=True))
        if self.detail:
            s += ": " + self.detail
        return s

    def __str__(self):
        return "%s: %s" % (self.field, self.body())


def aggregate(errs):
    msgs = []
    for e in errs:
        s = str(e)
        if s not in msgs:
            msgs.append(s)
    return msgs[0] if len(msgs) == 1 else "[" + ", ".join(msgs) + "]"


def err_invalid(group, kind, name, errs):
    causes = [{"reason": e.type, "message": e.body(), "field": e.field} for e in errs]
    gk = kind + "." + group if group else kind
    msg = "%s %s is invalid" % (gk, go_quote(name))
    if errs:
        msg += ": " + aggregate(errs)
    return APIError(422, "Invalid", msg, _details(name, group, kind, causes=causes))


def required(field, detail=""):
    return FieldError("FieldValueRequired", field, detail=detail)


def invalid(field, value, detail):
    return FieldError("FieldValueInvalid", field, value, detail)


def not_supported(field, value, valid):
    return FieldError("FieldValueNotSupported", field, value,
                      "supported values: " + ", ".join(go_quote(v) for v in valid))


# ---------------------------------------------------------------------------------------------
# name and label rules: k8s.io/apimachinery/pkg/api/validate/content

DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_SUBDOMAIN_FMT = DNS1123_LABEL_FMT + "(\\." + DNS1123_LABEL_FMT + ")*"
LABEL_KEY_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
LABEL_VALUE_FMT = "(" + LABEL_KEY_FMT + ")?"
LABEL_KEY_ERR = ("must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                 "with an alphanumeric character")


def _regex_error(msg, fmt, *examples):
    out = msg + " (e.g. "
    for i, e in enumerate(examples):
        if i:
            out += " or "
        out += "'" + e + "', "
    return out + "regex used for validation is '" + fmt + "')"


def is_dns1123_subdomain(v):
    errs = []
    if len(v) > 253:
        errs.append("must be no more than 253 characters")
    if not re.fullmatch(DNS1123_SUBDOMAIN_FMT, v):
        errs.append(_regex_error("a lowercase RFC 1123 subdomain must consist of lower case "
                                 "alphanumeric characters, '-' or '.', and must start and end "
                                 "with an alphanumeric character", DNS1123_SUBDOMAIN_FMT,
                                 "example.com"))
    return errs


def is_dns1123_label(v):
    errs = []
    if len(v) > 63:
        errs.append("must be no more than 63 characters")
    if not re.fullmatch(DNS1123_LABEL_FMT, v):
        errs.append(_regex_error("a lowercase RFC 1123 label must consist of lower case "
                                 "alphanumeric characters or '-', and must start and end with an "
                                 "alphanumeric character", DNS1123_LABEL_FMT, "my-name", "123-abc"))
    return errs


def is_qualified_name(v):
    errs = []
    parts = v.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs += ["prefix part " + m for m in is_dns1123_subdomain(prefix)]
    else:
        return ["a valid label key " + _regex_error(LABEL_KEY_ERR, LABEL_KEY_FMT, "MyName", "my.name",
                                                    "123-abc") +
                " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part must be no more than 63 characters")
    if not re.fullmatch(LABEL_KEY_FMT, name):
        errs.append("name part " + _regex_error(LABEL_KEY_ERR, LABEL_KEY_FMT, "MyName", "my.name",
                                                 "123-abc"))
    return errs


def is_label_value(v):
    errs = []
    if len(v) > 63:
        errs.append("must be no more than 63 characters")
    if not re.fullmatch(LABEL_VALUE_FMT, v):
        errs.append(_regex_error("a valid label must be an empty string or consist of alphanumeric "
                                 "characters, '-', '_' or '.', and must start and end with an "
                                 "alphanumeric character", LABEL_VALUE_FMT, "MyValue", "my_value",
                                 "12345"))
    return errs


def path_segment_errors(name):
    if name in (".", ".."):
        return ["may not be '%s'" % name]
    return ["may not contain '%s'" % c for c in ("/", "%") if c in name]


# ---------------------------------------------------------------------------------------------
# resource types

CR_VERBS = ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"]


class ResType:
    def __init__(self, group, version, plural, singular, kind, crd, schema=None, short=(),
                 field_labels=None):
        self.group, self.version, self.plural, self.singular = group, version, plural, singular
        self.kind, self.list_kind, self.crd, self.schema = kind, kind + "List", crd, schema
        self.short = list(short)
        self.gv = group + "/" + version if group else version
        self.key_prefix = "/registry/" + (group + "/" if group else "") + plural + "/"
        if crd:
            self.input_types = ["application/json", "application/yaml"]
            self.patch_types = ["application/json-patch+json", "application/merge-patch+json",
                                "application/apply-patch+yaml"]
            self.field_labels = ["metadata.name", "metadata.namespace"]
        else:
            self.input_types = ["application/json", "application/yaml",
                                "application/vnd.kubernetes.protobuf"]
            self.patch_types = ["application/json-patch+json", "application/merge-patch+json",
                                "application/strategic-merge-patch+json",
                                "application/apply-patch+yaml"]
            self.field_labels = ["metadata.name", "metadata.namespace", "spec.nodeName",
                                 "spec.restartPolicy", "spec.schedulerName",
                                 "spec.serviceAccountName", "spec.hostNetwork", "status.phase",
                                 "status.podIP", "status.podIPs", "status.nominatedNodeName"]
        if field_labels is not None:
            self.field_labels = field_labels
        # the apiserver does these; this server does not (documented as limitations)
        self.patch_unimplemented = ["application/strategic-merge-patch+json",
                                    "application/apply-patch+yaml"]


EVENT_FIELDS = ["metadata.name", "metadata.namespace", "involvedObject.kind",
                "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                "involvedObject.apiVersion", "involvedObject.resourceVersion",
                "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"]

RESOURCES = {
    (GROUP, VERSION, "ippools"): ResType(GROUP, VERSION, "ippools", "ippool", "IPPool", True),
    (GROUP, VERSION, "overlappingrangeipreservations"): ResType(
        GROUP, VERSION, "overlappingrangeipreservations", "overlappingrangeipreservation",
        "OverlappingRangeIPReservation", True),
    ("", "v1", "pods"): ResType("", "v1", "pods", "pod", "Pod", False, short=("po",)),
    # core/v1 events: the field labels of pkg/registry/core/event/strategy.go's ToSelectableFields
    ("", "v1", "events"): ResType("", "v1", "events", "event", "Event", False, short=("ev",),
                                  field_labels=EVENT_FIELDS),
}
BY_PLURAL = {rt.plural: rt for rt in RESOURCES.values()}


# The schemas come from a CRD file (--crds, default deploy/crds.yaml): the tests then check the
# CRDs that are shipped, and can load another tool's (whereabouts') to check what rdmanet-ipam
# writes against them. Only the keywords the validator below implements are accepted, so a CRD
# using more fails loudly instead of being half-checked.
DEFAULT_CRDS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "deploy",
                            "crds.yaml")
SCHEMA_KEYWORDS = {"type", "properties", "additionalProperties", "required", "description"}


def schema_check(s, where):
    if not isinstance(s, dict):
        raise ValueError("%s: a schema must be a mapping" % where)
    extra = sorted(set(s) - SCHEMA_KEYWORDS)
    if extra:
        raise ValueError("%s: keywords this server does not implement: %s" % (where, ", ".join(extra)))
    if not isinstance(s.get("type"), str):
        raise ValueError("%s: no type (a structural schema types every node)" % where)
    if not isinstance(s.get("required", []), list):
        raise ValueError("%s: required must be a list" % where)
    for k, sub in s.get("properties", {}).items():
        schema_check(sub, "%s.properties.%s" % (where, k))
    if "additionalProperties" in s:
        schema_check(s["additionalProperties"], where + ".additionalProperties")


def load_crds(path):
    """Sets the schema of each custom resource served here from the CRDs in path (YAML)."""
    import yaml  # python3-yaml; only this loader needs more than the standard library

    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    loaded = set()
    for d in docs:
        if d.get("kind") != "CustomResourceDefinition":
            continue
        spec = d.get("spec") or {}
        names = spec.get("names") or {}
        for v in spec.get("versions") or []:
            rt = RESOURCES.get((spec.get("group"), v.get("name"), names.get("plural")))
            if rt is None or not rt.crd or not v.get("served"):
                continue
            if names.get("kind") != rt.kind or spec.get("scope") != "Namespaced":
                raise ValueError("%s: CRD %s: kind %r, scope %r (this server serves a namespaced %s)"
                                 % (path, d.get("metadata", {}).get("name"), names.get("kind"),
                                    spec.get("scope"), rt.kind))
            s = (v.get("schema") or {}).get("openAPIV3Schema")
            schema_check(s, "%s: %s %s openAPIV3Schema" % (path, rt.plural, v["name"]))
            rt.schema = s
            loaded.add(rt.plural)
    missing = sorted(rt.plural for rt in RESOURCES.values() if rt.crd and rt.plural not in loaded)
    if missing:
        raise ValueError("%s: no served CRD version for %s" % (path, ", ".join(missing)))


# ---------------------------------------------------------------------------------------------
# structural schema: pruning, null pruning, validation (apiextensions-apiserver, kube-openapi)

def json_type(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def prune(x, s, path, unknown):
    """structural pruning: drop fields the schema does not specify, recording their paths."""
    if not isinstance(x, dict) or s is None:
        return
    for k in list(x):
        p = path + "." + k if path else k
        if k in s.get("properties", {}):
            prune(x[k], s["properties"][k], p, unknown)
        elif "additionalProperties" in s:
            prune(x[k], s["additionalProperties"], p, unknown)
        else:
            unknown.append(p)
            del x[k]


def prune_nulls(x, s):
    """PruneNonNullableNullsWithoutDefaults (no field of ours is nullable or defaulted)."""
    if not isinstance(x, dict) or s is None:
        return
    for k in list(x):
        sub = s.get("properties", {}).get(k, s.get("additionalProperties"))
        if sub is None:
            continue
        if x[k] is None and not sub.get("nullable"):
            del x[k]
        else:
            prune_nulls(x[k], sub)


def schema_validate(x, s, path, errs):
    t = s.get("type")
    if t and json_type(x) != t:
        actual = json_type(x)
        errs.append(FieldError("FieldValueTypeInvalid", path, actual,
                               "%s in body must be of type %s: %s" % (path, t, go_quote(actual))))
        return
    if not isinstance(x, dict):
        return
    # kube-openapi's objectValidator order: additionalProperties, properties, then required
    # (Go map order within each; sorted here)
    props = s.get("properties", {})
    if "additionalProperties" in s:
        for k in sorted(x):
            if k not in props:
                schema_validate(x[k], s["additionalProperties"], path + "." + k if path else k, errs)
    for k in sorted(props):
        if k in x:
            schema_validate(x[k], props[k], path + "." + k if path else k, errs)
    for r in s.get("required", []):
        if r not in x:
            errs.append(required(path + "." + r if path else r))


# ObjectMeta as the apiserver decodes it: known fields with their JSON types, omitempty
META_FIELDS = {
    "name": str, "generateName": str, "namespace": str, "selfLink": str, "uid": str,
    "resourceVersion": str, "generation": int, "creationTimestamp": str, "deletionTimestamp": str,
    "deletionGracePeriodSeconds": int, "labels": dict, "annotations": dict,
    "ownerReferences": list, "finalizers": list, "managedFields": list,
}
META_ORDER = ["name", "generateName", "namespace", "uid", "resourceVersion", "generation",
              "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
              "annotations", "ownerReferences", "finalizers", "managedFields"]


def coerce_meta(meta, kind, version):
    """Decode metadata into ObjectMeta and back: unknown fields dropped (and reported), empty
    fields omitted, wrong types rejected as the decoder does."""
    unknown = []
    if meta is None:
        return {}, unknown
    if not isinstance(meta, dict):
        raise err_bad_request('%s in version "%s" cannot be handled as a %s: .metadata: expected '
                              'object, got %s' % (kind, version, kind, json_type(meta)))
    out = {}
    for k, v in meta.items():
        if k not in META_FIELDS:
            unknown.append("metadata." + k)
            continue
        if v is None:
            continue
        want = META_FIELDS[k]
        keep_zero = k == "deletionGracePeriodSeconds"  # a *int64: 0 is a value
        ok = isinstance(v, want) and not (want is int and isinstance(v, bool))
        if want is int and isinstance(v, float) and v.is_integer():
            v, ok = int(v), True
        if ok and want is dict:
            ok = all(isinstance(x, str) for x in v.values())
        if ok and k == "finalizers":
            ok = all(isinstance(x, str) for x in v)
        if not ok:
            raise err_bad_request('%s in version "%s" cannot be handled as a %s: json: cannot '
                                  'unmarshal %s into Go struct field ObjectMeta.metadata.%s'
                                  % (kind, version, kind, json_type(v), k))
        if k == "selfLink" or (v in ("", 0, {}, []) and not (keep_zero and v == 0)):
            continue
        out[k] = v
    return {k: out[k] for k in META_ORDER if k in out}, unknown


def validate_meta_common(meta, errs):
    for k, v in meta.get("labels", {}).items():
        errs += [invalid("metadata.labels", k, m) for m in is_qualified_name(k)]
        errs += [invalid("metadata.labels", v, m) for m in is_label_value(v)]
    ann = meta.get("annotations", {})
    for k in ann:
        errs += [invalid("metadata.annotations", k, m) for m in is_qualified_name(k.lower())]
    if sum(len(k) + len(v) for k, v in ann.items()) > 256 * 1024:
        errs.append(FieldError("FieldValueTooLong", "metadata.annotations", "<value omitted>",
                               "may not be more than 262144 bytes"))
    fins = meta.get("finalizers", [])
    for f in fins:
        errs += [invalid("metadata.finalizers", f, m) for m in is_qualified_name(f)]
    if meta.get("generation", 0) < 0:
        errs.append(invalid("metadata.generation", meta["generation"], "must be greater than or equal to 0"))


def validate_event(ev):
    """core/v1 Event checks of legacyValidateEvent (an Event without eventTime): the involved
    object's namespace is the Event's; plus the types of the fields this server reads."""
    errs = []
    io = ev.get("involvedObject", {})
    if not isinstance(io, dict):
        return [invalid("involvedObject", io, "must be an object")]
    ns, ions = ev["metadata"].get("namespace", ""), io.get("namespace", "")
    if (ions and ions != ns) or (not ions and ns not in ("", "default")):
        errs.append(invalid("involvedObject.namespace", ions, "does not match event.namespace"))
    for f in ("reason", "message", "type", "firstTimestamp", "lastTimestamp"):
        if f in ev and not isinstance(ev[f], str):
            errs.append(invalid(f, ev[f], "must be a string"))
    if "count" in ev and (not isinstance(ev["count"], int) or isinstance(ev["count"], bool)):
        errs.append(invalid("count", ev["count"], "must be an integer"))
    return errs


def validate_name(meta, errs):
    name = meta.get("name", "")
    if not name:
        errs.append(required("metadata.name", "name or generateName is required"))
    else:
        errs += [invalid("metadata.name", name, m) for m in is_dns1123_subdomain(name)]


# ---------------------------------------------------------------------------------------------
# label and field selectors (k8s.io/apimachinery/pkg/labels, pkg/fields)

class Selector:
    def __init__(self, reqs):
        self.reqs = reqs

    def empty(self):
        return not self.reqs

    def matches(self, labels):
        for key, op, vals in self.reqs:
            present = key in labels
            v = labels.get(key)
            if op == "exists" and not present:
                return False
            if op == "!" and present:
                return False
            if op in ("=", "==", "in") and (not present or v not in vals):
                return False
            if op in ("!=", "notin") and present and v in vals:
                return False
            if op in (">", "<"):
                if not present:
                    return False
                try:
                    lv, rv = int(v), int(vals[0])
                except ValueError:
                    return False
                if (op == ">" and not lv > rv) or (op == "<" and not lv < rv):
                    return False
        return True


_SEL_TOKEN = re.compile(r"\s*(==|!=|=|!|\(|\)|,|>|<|[^\s=!(),<>]+)")


def parse_label_selector(text):
    if not text or not text.strip():
        return Selector([])
    toks, pos = [], 0
    while pos < len(text):
        m = _SEL_TOKEN.match(text, pos)
        if not m:
            if text[pos:].strip() == "":
                break
            raise err_bad_request("unable to parse requirement: found '%s', expected: identifier" % text[pos:])
        toks.append(m.group(1))
        pos = m.end()
    reqs, i = [], 0

    def peek():
        return toks[i] if i < len(toks) else ""

    def expect_ident(what):
        nonlocal i
        t = peek()
        if t == "" or t in ("==", "!=", "=", "!", "(", ")", ",", ">", "<"):
            raise err_bad_request("found '%s', expected: %s" % (t, what))
        i += 1
        return t

    while True:
        neg = False
        if peek() == "!":
            neg = True
            i += 1
        key = expect_ident("identifier" if not neg else "identifier after '!'")
        errs = is_qualified_name(key)
        if errs:
            raise err_bad_request("unable to parse requirement: %s" %
                                  invalid("key", key, "; ".join(errs)))
        if neg:
            reqs.append((key, "!", []))
        else:
            op = peek()
            if op in ("", ","):
                reqs.append((key, "exists", []))
            elif op in ("=", "==", "!="):
                i += 1
                val = peek()
                if val in ("", ","):
                    val = ""
                else:
                    val = expect_ident("identifier")
                reqs.append((key, op, [val]))
            elif op in (">", "<"):
                i += 1
                val = expect_ident("identifier")
                try:
                    int(val)
                except ValueError:
                    raise err_bad_request("unable to parse requirement: for 'Gt', 'Lt' operators, "
                                          "the value must be an integer")
                reqs.append((key, op, [val]))
            elif op in ("in", "notin"):
                i += 1
                if peek() != "(":
                    raise err_bad_request("found '%s', expected: '('" % peek())
                i += 1
                vals = []
                while True:
                    t = peek()
                    if t in (",", ")"):
                        vals.append("")
                    else:
                        vals.append(expect_ident("',', ')' or identifier"))
                    t = peek()
                    i += 1
                    if t == ")":
                        break
                    if t != ",":
                        raise err_bad_request("found '%s', expected: ',' or ')'" % t)
                reqs.append((key, op, vals))
            else:
                raise err_bad_request("found '%s', expected: in, notin, =, ==, !=, gt, lt" % op)
            for v in reqs[-1][2]:
                verrs = is_label_value(v)
                if verrs:
                    raise err_bad_request("unable to parse requirement: %s" %
                                          invalid("values[0][%s]" % key, v, "; ".join(verrs)))
        t = peek()
        if t == "":
            break
        if t != ",":
            raise err_bad_request("found '%s', expected: ',' or 'end of string'" % t)
        i += 1
    return Selector(reqs)


def parse_field_selector(text, rt):
    reqs = []
    if not text:
        return reqs
    for term in re.split(r"(?<!\\),", text):
        if not term:
            continue
        m = re.match(r"^(.*?)(==|!=|=)(.*)$", term)
        if not m:
            raise err_bad_request("invalid selector: '%s'; can't understand '%s'" % (text, term))
        field, op, val = m.group(1), m.group(2), m.group(3).replace("\\,", ",").replace("\\=", "=")
        if field not in rt.field_labels:
            raise err_bad_request("field label not supported: %s" % field)
        reqs.append((field, op, val))
    return reqs


def field_value(obj, field):
    meta = obj.get("metadata", {})
    spec = obj.get("spec", {}) if isinstance(obj.get("spec"), dict) else {}
    status = obj.get("status", {}) if isinstance(obj.get("status"), dict) else {}
    if field == "metadata.name":
        return meta.get("name", "")
    if field == "metadata.namespace":
        return meta.get("namespace", "")
    if field == "spec.hostNetwork":
        return "true" if spec.get("hostNetwork") else "false"
    if field == "status.podIPs":
        return ",".join(p.get("ip", "") for p in status.get("podIPs", []) if isinstance(p, dict))
    if field.startswith("involvedObject."):
        io = obj.get("involvedObject") if isinstance(obj.get("involvedObject"), dict) else {}
        v = io.get(field.partition(".")[2], "")
        return v if isinstance(v, str) else str(v)
    if field == "source":
        src = obj.get("source") if isinstance(obj.get("source"), dict) else {}
        return src.get("component", "") if isinstance(src.get("component", ""), str) else ""
    if field in ("reason", "reportingComponent", "type"):
        v = obj.get(field, "")
        return v if isinstance(v, str) else str(v)
    top, _, sub = field.partition(".")
    v = (spec if top == "spec" else status).get(sub, "")
    return v if isinstance(v, str) else str(v)


def fields_match(obj, reqs):
    for field, op, val in reqs:
        v = field_value(obj, field)
        if (op == "!=") == (v == val):
            return False
    return True


# ---------------------------------------------------------------------------------------------
# JSON patch (RFC 6902, as evanphx/json-patch v4 applies it) and merge patch (RFC 7386)

class PatchError(Exception):
    pass


def json_equal(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    return a == b


def _pointer(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError("JSON pointer must be empty or start with a \"/\": %s" % path)
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _container(doc, parts, path):
    cur = doc
    for p in parts[:-1]:
        if isinstance(cur, dict) and p in cur:
            cur = cur[p]
        elif isinstance(cur, list) and p.isdigit() and int(p) < len(cur):
            cur = cur[int(p)]
        else:
            raise PatchError("doc is missing path: \"%s\": missing value" % path)
        if not isinstance(cur, (dict, list)):
            raise PatchError("doc is missing path: \"%s\": missing value" % path)
    return cur


def _get(doc, path):
    parts = _pointer(path)
    if not parts:
        return doc
    c = _container(doc, parts, path)
    k = parts[-1]
    if isinstance(c, dict):
        if k not in c:
            raise PatchError("doc is missing key: %s: missing value" % path)
        return c[k]
    if not k.isdigit() or int(k) >= len(c):
        raise PatchError("Unable to access invalid index: %s: invalid index referenced" % k)
    return c[int(k)]


def _remove(doc, path):
    parts = _pointer(path)
    c = _container(doc, parts, path)
    k = parts[-1]
    if isinstance(c, dict):
        if k not in c:
            raise PatchError("remove operation does not apply: doc is missing path: \"%s\": missing value" % path)
        return c.pop(k)
    if not k.isdigit() or int(k) >= len(c):
        raise PatchError("remove operation does not apply: doc is missing path: \"%s\": missing value" % path)
    return c.pop(int(k))


def _add(doc, path, value):
    parts = _pointer(path)
    if not parts:
        return value
    c = _container(doc, parts, path)
    k = parts[-1]
    if isinstance(c, dict):
        c[k] = value
    elif k == "-":
        c.append(value)
    elif k.isdigit() and int(k) <= len(c):
        c.insert(int(k), value)
    else:
        raise PatchError("add operation does not apply: doc is missing path: \"%s\": missing value" % path)
    return doc


def json_patch(doc, ops):
    doc = copy.deepcopy(doc)
    for op in ops:
        kind = op.get("op")
        path = op.get("path")
        if not isinstance(path, str):
            raise PatchError("operation missing path: missing value")
        if kind == "add":
            if "value" not in op:
                raise PatchError("missing value")
            doc = _add(doc, path, copy.deepcopy(op["value"]))
        elif kind == "remove":
            _remove(doc, path)
        elif kind == "replace":
            if "value" not in op:
                raise PatchError("missing value")
            _get(doc, path)  # must exist
            if _pointer(path):
                _remove(doc, path)
            doc = _add(doc, path, copy.deepcopy(op["value"]))
        elif kind in ("move", "copy"):
            frm = op.get("from")
            if not isinstance(frm, str):
                raise PatchError("%s operation missing from: missing value" % kind)
            v = _get(doc, frm)
            if kind == "move":
                _remove(doc, frm)
            doc = _add(doc, path, copy.deepcopy(v))
        elif kind == "test":
            try:
                actual = _get(doc, path)
            except PatchError:
                raise PatchError("testing value %s failed: test failed" % path)
            if not json_equal(actual, op.get("value")):
                raise PatchError("testing value %s failed: test failed" % path)
        else:
            raise PatchError("Unexpected kind: %s" % kind)
    return doc


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


# ---------------------------------------------------------------------------------------------
# JSON input

def parse_json(body):
    dups = []

    def hook(pairs):
        d = {}
        for k, v in pairs:
            if k in d:
                dups.append(k)
            d[k] = v
        return d

    def bad_constant(c):
        raise ValueError("invalid character '%s' looking for beginning of value" % c[0])

    text = body.decode("utf-8")  # UnicodeDecodeError is a ValueError
    return json.loads(text, object_pairs_hook=hook, parse_constant=bad_constant), dups


def summarize(body, n=30):
    s = body.decode("utf-8", "replace")
    return s if len(s) <= n else s[:n] + "..."


# ---------------------------------------------------------------------------------------------
# the store: one revision counter, MVCC history per key, compaction (etcd's model)

class Store:
    def __init__(self, state_file, history_window, namespaces):
        self.lock = threading.RLock()
        self.rev = 1
        self.compacted = 0
        self.history_window = history_window
        self.versions = {rt.plural: {} for rt in RESOURCES.values()}   # plural -> key -> [(rev, obj)]
        self.namespaces = {}
        for ns in list(DEFAULT_NAMESPACES) + list(namespaces):
            self.namespaces[ns] = {"uid": str(uuid.uuid4()), "creationTimestamp": now_rfc3339()}
        self.state_file = state_file
        self.dirty = threading.Condition(self.lock)
        self.save_lock = threading.Lock()
        self.pending = False
        self.cost_ms = 0.0          # --update-cost-ms, --update-cost-us-per-kib, --update-cpus
        self.cost_us_per_kib = 0.0
        self.cpus = None
        self.sizes = {}             # (plural, key) -> (resourceVersion, bytes), for the cost
        self.retries = 0            # updates tried again after a concurrent write
        if state_file and os.path.exists(state_file) and os.path.getsize(state_file) > 0:
            self.load()
        if state_file:
            threading.Thread(target=self.saver, daemon=True).start()

    # keys are "namespace/name": the etcd key after the resource prefix
    def current(self, plural, key):
        vs = self.versions[plural].get(key)
        return vs[-1][1] if vs else None

    def at(self, plural, key, rev):
        for r, obj in reversed(self.versions[plural].get(key, [])):
            if r <= rev:
                return obj
        return None

    def keys(self, plural, prefix=""):
        return sorted(k for k in self.versions[plural] if k.startswith(prefix))

    def write(self, plural, key, obj):
        """Commit obj (None deletes) at a new revision; returns the stored copy."""
        self.rev += 1
        if obj is not None:
            obj = copy.deepcopy(obj)
            obj["metadata"]["resourceVersion"] = str(self.rev)
        self.versions[plural].setdefault(key, []).append((self.rev, obj))
        if self.rev - self.compacted > 2 * self.history_window:
            self.compact(self.rev - self.history_window)
        self.changed()
        return copy.deepcopy(obj)

    def attempt(self, plural, key):
        """What one try of GuaranteedUpdate costs kube-apiserver (decode the stored object, patch,
        admission, validation, encode: measured to grow with the object), spent outside the lock
        on --update-cpus CPUs, as the apiserver's goroutines share its cores. Returns the
        resourceVersion the try worked on, or None without a cost model or object."""
        if not self.cost_ms and not self.cost_us_per_kib:
            return None
        with self.lock:
            cur = self.current(plural, key)
            if cur is None:
                return None
            rv = cur["metadata"]["resourceVersion"]
            known = self.sizes.get((plural, key))
            if not known or known[0] != rv:
                known = self.sizes[(plural, key)] = (rv, len(json.dumps(cur)))
        with self.cpus:
            time.sleep((self.cost_ms + self.cost_us_per_kib * known[1] / 1024000.0) / 1000.0)
        return rv

    def compact(self, upto):
        upto = min(upto, self.rev)
        if upto <= self.compacted:
            return
        for plural, table in self.versions.items():
            for key in list(table):
                vs = table[key]
                keep_from = 0
                for i, (r, _) in enumerate(vs):
                    if r <= upto:
                        keep_from = i
                vs = vs[keep_from:]
                if vs and vs[0][0] <= upto and vs[0][1] is None:
                    vs = vs[1:]
                if vs:
                    table[key] = vs
                else:
                    del table[key]
        self.compacted = upto

    def snapshot(self):
        objs = {}
        for plural, table in self.versions.items():
            objs[plural] = [vs[-1][1] for k, vs in sorted(table.items()) if vs[-1][1] is not None]
        return {"resourceVersion": str(self.rev), "compactedRevision": str(self.compacted),
                "namespaces": sorted(self.namespaces), "objects": objs}

    def changed(self):
        """Note a change for the state file (caller holds the lock)."""
        if self.state_file:
            self.pending = True
            self.dirty.notify()

    def saver(self):
        """Writes the state file at most every 50 ms while writes come in."""
        while True:
            with self.lock:
                while not self.pending:
                    self.dirty.wait()
            time.sleep(0.05)
            self.save()

    def save(self):
        """Writes the state file now, whole, by rename."""
        if not self.state_file:
            return
        with self.save_lock:
            with self.lock:
                text = json.dumps(self.snapshot(), separators=(",", ":"), sort_keys=True)
                self.pending = False
            tmp = self.state_file + ".tmp"
            with open(tmp, "w") as f:
                f.write(text)
            os.replace(tmp, self.state_file)

    def load(self):
        with open(self.state_file) as f:
            st = json.load(f)
        self.rev = int(st.get("resourceVersion", "1"))
        for ns in st.get("namespaces", []):
            self.namespaces.setdefault(ns, {"uid": str(uuid.uuid4()), "creationTimestamp": now_rfc3339()})
        for plural, objs in st.get("objects", {}).items():
            if plural not in self.versions:
                continue
            for obj in objs:
                meta = obj.get("metadata", {})
                key = meta.get("namespace", "") + "/" + meta.get("name", "")
                try:
                    r = int(meta.get("resourceVersion", "0"))
                except ValueError:
                    r = 0
                if r <= 0:
                    self.rev += 1
                    r = self.rev
                    meta["resourceVersion"] = str(r)
                self.rev = max(self.rev, r)
                self.versions[plural][key] = [(r, obj)]
        self.compacted = self.rev  # no history survives a restart here


# ---------------------------------------------------------------------------------------------
# faults and statistics

class Faults:
    FIELDS = {"delay_ms": int, "status": int, "count": int, "slow_body_ms": int,
              "huge_body_bytes": int, "match": str, "method": str, "close": bool,
              "after": bool, "truncate": bool, "body": str, "content_type": str,
              "message": str, "reason": str, "retry_after": int}

    def __init__(self):
        self.lock = threading.Lock()
        self.rules = []

    def add(self, spec):
        rule = {}
        for k, v in spec.items():
            if k == "reset":
                continue
            t = self.FIELDS.get(k)
            if t is None:
                raise ValueError("unknown fault field %r" % k)
            if t is int and (isinstance(v, bool) or not isinstance(v, int)):
                raise ValueError("fault field %r must be an integer" % k)
            if t is not int and not isinstance(v, t):
                raise ValueError("fault field %r must be a %s" % (k, t.__name__))
            rule[k] = v
        rule.setdefault("count", 1)
        rule.setdefault("match", "")
        rule["applied"] = 0
        if "status" in rule and not 100 <= rule["status"] <= 599:
            raise ValueError("fault status must be an HTTP status code")
        with self.lock:
            self.rules.append(rule)

    def reset(self):
        with self.lock:
            self.rules = []

    def take(self, method, target):
        with self.lock:
            for rule in self.rules:
                if rule["count"] == 0:
                    continue
                if rule["match"] not in target:
                    continue
                if rule.get("method") and rule["method"].upper() != method:
                    continue
                if rule["count"] > 0:
                    rule["count"] -= 1
                rule["applied"] += 1
                return dict(rule)
        return None

    def list(self):
        with self.lock:
            return [dict(r) for r in self.rules]


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.data = {"connections": 0, "tls_handshake_failures": 0, "requests_total": 0,
                     "requests": {}, "by_verb": {}, "status_codes": {}, "conflicts": 0,
                     "conflicts_by_reason": {}, "faults_applied": 0}

    def bump(self, field, n=1):
        with self.lock:
            self.data[field] += n

    def request(self, key, verb, code, reason, faulted):
        with self.lock:
            d = self.data
            d["requests_total"] += 1
            d["requests"][key] = d["requests"].get(key, 0) + 1
            d["by_verb"][verb] = d["by_verb"].get(verb, 0) + 1
            d["status_codes"][str(code)] = d["status_codes"].get(str(code), 0) + 1
            if code == 409:
                d["conflicts"] += 1
                d["conflicts_by_reason"][reason] = d["conflicts_by_reason"].get(reason, 0) + 1
            if faulted:
                d["faults_applied"] += 1

    def get(self):
        with self.lock:
            return copy.deepcopy(self.data)


# ---------------------------------------------------------------------------------------------
# authentication and authorization

class Tokens:
    def __init__(self, path):
        self.path, self.mtime, self.table = path, None, {}
        self.lock = threading.Lock()
        if path:
            self.reload(force=True)

    def reload(self, force=False):
        st = os.stat(self.path)
        if not force and st.st_mtime_ns == self.mtime:
            return
        with open(self.path) as f:
            raw = json.load(f)
        if not isinstance(raw, dict):
            raise ValueError("tokens file must be a JSON object of token -> {user, allow}")
        table = {}
        for tok, ent in raw.items():
            if not tok or not isinstance(ent, dict) or not isinstance(ent.get("user"), str):
                raise ValueError("token entries need a \"user\" string")
            allow = ent.get("allow", [])
            if not isinstance(allow, list) or not all(isinstance(a, str) for a in allow):
                raise ValueError("\"allow\" must be a list of strings")
            table[tok] = {"name": ent["user"], "groups": list(ent.get("groups", [])),
                          "allow": allow}
        self.table, self.mtime = table, st.st_mtime_ns

    def lookup(self, token):
        with self.lock:
            if self.path:
                try:
                    self.reload()
                except (OSError, ValueError) as e:
                    log("tokens: keeping the previous table: %s" % e)
            for tok, user in self.table.items():
                if hmac.compare_digest(tok.encode(), token.encode()):
                    return user
        return None


def allowed(user, verb, resource):
    for a in user["allow"]:
        if a == "*":
            return True
        v, _, r = a.partition(":")
        if v in ("*", verb) and r in ("*", resource):
            return True
    return False


# ---------------------------------------------------------------------------------------------
# the HTTP server

class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True

    def finish_request(self, request, client_address):
        self.stats.bump("connections")
        try:  # headers and body leave in separate writes: no Nagle delay behind delayed ACKs
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        conn = request
        if self.ssl_ctx is not None:
            request.settimeout(10)
            try:
                conn = self.ssl_ctx.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError) as e:
                self.stats.bump("tls_handshake_failures")
                log("TLS handshake from %s failed: %s" % (client_address[0], e))
                try:
                    request.close()
                except OSError:
                    pass
                return
            conn.settimeout(None)
        try:
            self.RequestHandlerClass(conn, client_address, self)
        finally:
            if conn is not request:
                self.shutdown_request(conn)


class Response:
    def __init__(self, code, body=b"", ctype="application/json", headers=None):
        self.code, self.body, self.ctype = code, body, ctype
        self.headers = headers or {}
        self.reason = ""
        self.stream = None   # (total length, generator of chunks) for huge bodies

    @classmethod
    def obj(cls, code, obj, sort_keys=False, headers=None):
        return cls(code, go_json(obj, sort_keys), headers=headers)

    @classmethod
    def error(cls, e):
        r = cls(e.code, go_json(e.status()), headers=dict(e.headers))
        r.reason = e.reason
        return r


class RequestInfo:
    def __init__(self, method, path, query):
        self.method, self.path, self.query = method, path, query
        self.is_resource = False
        self.group = self.version = self.namespace = self.resource = self.name = ""
        self.subresource = ""
        self.verb = method.lower()
        segs = [urllib.parse.unquote(s) for s in path.strip("/").split("/")] if path.strip("/") else []
        if len(segs) >= 3 and segs[0] == "api":
            rest = segs[2:]
            self.version = segs[1]
        elif len(segs) >= 4 and segs[0] == "apis":
            rest = segs[3:]
            self.group, self.version = segs[1], segs[2]
        else:
            return
        self.is_resource = True
        if rest[0] == "namespaces":
            if len(rest) > 1:
                self.namespace = rest[1]
                if len(rest) > 2:
                    rest = rest[2:]
                else:
                    rest = ["namespaces", rest[1]]
        self.resource = rest[0]
        self.name = rest[1] if len(rest) > 1 else ""
        self.subresource = "/".join(rest[2:])
        watch = query.get("watch", [""])[-1] in ("1", "true", "True")
        if method == "GET":
            self.verb = "get" if self.name else ("watch" if watch else "list")
        elif method == "POST":
            self.verb = "create"
        elif method == "PUT":
            self.verb = "update"
        elif method == "PATCH":
            self.verb = "patch"
        elif method == "DELETE":
            self.verb = "delete" if self.name else "deletecollection"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120

    # -- plumbing

    def log_message(self, fmt, *args):
        log("%s %s" % (self.client_address[0], fmt % args))

    def send_response(self, code, message=None):
        # like net/http: no Server header
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            out = bytearray()
            while True:
                line = self.rfile.readline(1024)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                if len(out) + size > MAX_REQUEST_BODY:
                    raise err_too_large("limit is %d" % MAX_REQUEST_BODY)
                out += self.rfile.read(size)
                self.rfile.readline(1024)
        n = int(self.headers.get("Content-Length") or 0)
        if n < 0:
            raise err_bad_request("invalid Content-Length")
        if n > MAX_REQUEST_BODY:
            # Drain what the client sends (bounded), as Go's server lingers before closing:
            # answering mid-upload makes the client see a reset instead of the 413.
            left = min(n, 64 << 20)
            while left > 0:
                chunk = self.rfile.read(min(left, 1 << 16))
                if not chunk:
                    break
                left -= len(chunk)
            raise err_too_large("limit is %d" % MAX_REQUEST_BODY)
        return self.rfile.read(n) if n else b""

    def write_response(self, resp, slow_ms=0, truncate=False):
        body = resp.body
        total = len(body) if resp.stream is None else resp.stream[0]
        self.send_response(resp.code)
        if resp.code != 204:
            self.send_header("Content-Type", resp.ctype)
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Audit-Id", str(uuid.uuid4()))
        for k, v in resp.headers.items():
            if isinstance(v, list):
                for x in v:
                    self.send_header(k, x)
            else:
                self.send_header(k, v)
        self.send_header("Content-Length", str(total))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD":
            self.wfile.flush()
            return
        chunks = resp.stream[1] if resp.stream is not None else iter([body])
        limit = total // 2 if truncate else total
        sent = 0
        if slow_ms > 0:
            pieces = 10
            step = max(1, (total + pieces - 1) // pieces)
            chunks = _rechunk(chunks, step)
            per = slow_ms / 1000.0 / pieces
        for c in chunks:
            if sent + len(c) > limit:
                c = c[:limit - sent]
            if slow_ms > 0:  # headers at once, then the body in 10 pieces over slow_ms
                time.sleep(per)
            if c:
                self.wfile.write(c)
                self.wfile.flush()
                sent += len(c)
            if sent >= limit:
                break
        self.wfile.flush()
        if truncate:
            self.close_connection = True

    # -- the request

    def dispatch(self):
        start = time.monotonic()
        srv = self.server
        url = urllib.parse.urlsplit(self.path)
        path = url.path or "/"
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        info = RequestInfo(self.command, path, query)
        self.user = None
        fault = None
        try:
            body = self.read_body()
        except APIError as e:
            self.close_connection = True
            self.finish_request(info, Response.error(e), None, start)
            return
        except (ValueError, OSError):
            self.close_connection = True
            self.finish_request(info, Response.error(err_bad_request("malformed request body")), None, start)
            return
        if path.startswith("/_test/") and srv.admin_token:
            try:
                resp = self.admin(path, query, body)
            except APIError as e:
                resp = Response.error(e)
            except Exception as e:  # noqa: BLE001 - report, keep serving
                traceback.print_exc()
                resp = Response.error(err_internal(str(e)))
            self.write_response(resp)
            log("%s %s -> %d (admin)" % (self.command, self.path, resp.code))
            return

        fault = srv.faults.take(self.command, self.path)
        if fault and not fault.get("after"):
            if fault.get("delay_ms"):
                time.sleep(fault["delay_ms"] / 1000.0)
            if fault.get("close"):
                self.close_connection = True
                self.finish_request(info, None, fault, start)
                return
            fresp = fault_response(fault)
            if fresp is not None:
                self.finish_request(info, fresp, fault, start)
                return
        try:
            resp = self.serve(info, query, body)
        except APIError as e:
            resp = Response.error(e)
        except Exception as e:  # noqa: BLE001
            traceback.print_exc()
            resp = Response.error(err_internal(str(e)))
        if fault and fault.get("after"):
            if fault.get("delay_ms"):
                time.sleep(fault["delay_ms"] / 1000.0)
            if fault.get("close"):
                self.close_connection = True
                self.finish_request(info, None, fault, start)
                return
            fresp = fault_response(fault)
            if fresp is not None:
                resp = fresp
        self.finish_request(info, resp, fault, start)

    def finish_request(self, info, resp, fault, start):
        code = resp.code if resp else 0
        try:
            if resp is not None:
                self.write_response(resp, (fault or {}).get("slow_body_ms", 0),
                                    bool((fault or {}).get("truncate")))
        except (OSError, ValueError):
            self.close_connection = True
        key = ("%s:%s" % (info.verb, info.resource)) if info.is_resource else \
            "%s:%s" % (self.command.lower(), info.path)
        self.server.stats.request(key, info.verb, code, resp.reason if resp else "", fault is not None)
        log("%s %s %s -> %s%s (%.1f ms)" % (self.user["name"] if self.user else "-", self.command,
                                             self.path, code or "closed",
                                             " [fault]" if fault else "",
                                             (time.monotonic() - start) * 1000))

    def authenticate(self):
        srv = self.server
        auth = self.headers.get("Authorization", "")
        if isinstance(self.connection, ssl.SSLSocket):
            cert = self.connection.getpeercert()
            if cert:
                cn, orgs = "", []
                for rdn in cert.get("subject", ()):
                    for k, v in rdn:
                        if k == "commonName":
                            cn = v
                        elif k == "organizationName":
                            orgs.append(v)
                if cn:
                    return {"name": cn, "groups": orgs, "allow": ["*"]}
        m = re.match(r"(?i)^bearer\s+(\S+)\s*$", auth)
        if m and srv.admin_token and hmac.compare_digest(m.group(1).encode(), srv.admin_token.encode()):
            # the test harness's own token is also a cluster-admin API token
            return {"name": "test-admin", "groups": ["system:masters"], "allow": ["*"]}
        if m:
            user = srv.tokens.lookup(m.group(1))
            if user is None:
                raise err_unauthorized()
            return user
        if srv.anonymous:
            return {"name": "system:anonymous", "groups": ["system:unauthenticated"], "allow": []}
        raise err_unauthorized()

    def serve(self, info, query, body):
        self.user = self.authenticate()
        user = self.user
        if not info.is_resource:
            return self.non_resource(info, user, body)
        ssr = info.group == "authentication.k8s.io" and info.resource == "selfsubjectreviews"
        if not ssr and not allowed(user, info.verb, info.resource):
            attrs = 'User %s cannot %s resource %s in API group %s' % (
                go_quote(user["name"]), info.verb,
                go_quote(info.resource + ("/" + info.subresource if info.subresource else "")),
                go_quote(info.group))
            if info.namespace:
                attrs += " in the namespace %s" % go_quote(info.namespace)
            else:
                attrs += " at the cluster scope"
            raise err_forbidden(info.group, info.resource, info.name, attrs)
        rt = RESOURCES.get((info.group, info.version, info.resource))
        if info.group == "authentication.k8s.io" and info.version == "v1" and \
                info.resource == "selfsubjectreviews" and info.verb == "create":
            return self.self_subject_review(user)
        if rt is not None and info.verb not in ("get", "list", "watch", "create", "update", "patch",
                                                "delete", "deletecollection"):
            if rt.crd:  # crdHandler.serveResource's default case
                raise err_method_not_supported(rt.group, rt.plural, info.verb)
            raise err_generic(405)
        if rt is None or (not info.namespace and info.verb not in ("list", "watch")):
            raise err_generic(404)
        if info.subresource:
            raise err_not_found(rt.group, rt.plural, info.name)
        if info.verb == "watch":
            raise err_bad_request("watch is not implemented by this test server")
        api = API(self.server.store, rt, info, query, self.headers)
        return getattr(api, info.verb)(body)

    def self_subject_review(self, user):
        groups = list(user["groups"])
        if user["name"] != "system:anonymous":
            groups.append("system:authenticated")
        return Response.obj(201, {"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
                                  "metadata": {"creationTimestamp": now_rfc3339()},
                                  "status": {"userInfo": {"username": user["name"], "groups": groups}}})

    def non_resource(self, info, user, body):
        path = info.path.rstrip("/") or "/"
        public = path in ("/version", "/healthz", "/livez", "/readyz")
        if user["name"] == "system:anonymous" and not public:
            raise err_forbidden("", "", "", 'User "system:anonymous" cannot %s path %s'
                                % (self.command.lower(), go_quote(info.path)))
        if self.command != "GET":
            if path in ("/version", "/api", "/apis") or path.startswith(("/api/", "/apis/")):
                raise err_generic(405)
        if path == "/version":
            return Response.obj(200, KUBE_VERSION)
        if path in ("/healthz", "/livez", "/readyz"):
            return Response(200, b"ok", "text/plain; charset=utf-8")
        host, port = self.server.server_address[:2]
        if path == "/api":
            return Response.obj(200, {"kind": "APIVersions", "versions": ["v1"],
                                      "serverAddressByClientCIDRs": [
                                          {"clientCIDR": "0.0.0.0/0",
                                           "serverAddress": ("[%s]:%d" if ":" in host else "%s:%d")
                                           % (host, port)}]})
        group = {"name": GROUP, "versions": [{"groupVersion": GROUP + "/" + VERSION, "version": VERSION}],
                 "preferredVersion": {"groupVersion": GROUP + "/" + VERSION, "version": VERSION}}
        if path == "/apis":
            return Response.obj(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [group]})
        if path == "/apis/" + GROUP:
            return Response.obj(200, dict({"kind": "APIGroup", "apiVersion": "v1"}, **group))
        if path in ("/api/v1", "/apis/%s/%s" % (GROUP, VERSION)):
            gv = "v1" if path == "/api/v1" else GROUP + "/" + VERSION
            res = []
            for rt in RESOURCES.values():
                if rt.gv != gv:
                    continue
                ent = {"name": rt.plural, "singularName": rt.singular, "namespaced": True,
                       "kind": rt.kind, "verbs": CR_VERBS}
                if rt.short:
                    ent["shortNames"] = rt.short
                res.append(ent)
            return Response.obj(200, {"kind": "APIResourceList", "apiVersion": "v1",
                                      "groupVersion": gv, "resources": res})
        if path.startswith(("/api/", "/apis/")) or path in ("/api", "/apis"):
            raise err_generic(404)
        return Response(404, b"404 page not found\n", "text/plain; charset=utf-8")

    # -- test hooks

    def admin(self, path, query, body):
        srv = self.server
        auth = self.headers.get("Authorization", "")
        m = re.match(r"(?i)^bearer\s+(\S+)\s*$", auth)
        if not m or not hmac.compare_digest(m.group(1).encode(), srv.admin_token.encode()):
            raise err_unauthorized()
        req = {}
        if body:
            try:
                req, _ = parse_json(body)
            except ValueError as e:
                raise err_bad_request("invalid JSON: %s" % e)
            if not isinstance(req, dict):
                raise err_bad_request("expected a JSON object")
        store = srv.store
        method = self.command
        if path == "/_test/faults":
            if method == "POST":
                if req.get("reset"):
                    srv.faults.reset()
                if set(req) - {"reset"}:
                    try:
                        srv.faults.add(req)
                    except ValueError as e:
                        raise err_bad_request(str(e))
            elif method == "DELETE":
                srv.faults.reset()
            return Response.obj(200, {"faults": srv.faults.list()})
        if path == "/_test/stats":
            if method in ("POST", "DELETE") and (req.get("reset") or method == "DELETE"):
                with srv.stats.lock:
                    srv.stats.reset()
                with store.lock:
                    store.retries = 0
            with store.lock:
                retries = store.retries
            return Response.obj(200, dict(srv.stats.get(), update_retries=retries))
        if path == "/_test/save" and method == "POST":
            store.save()
            return Response.obj(200, {"saved": bool(store.state_file), "resourceVersion": str(store.rev)})
        if path == "/_test/dump":
            with store.lock:
                return Response.obj(200, store.snapshot())
        if path == "/_test/compact" and method == "POST":
            with store.lock:
                store.compact(int(req.get("revision", store.rev)))
                return Response.obj(200, {"compactedRevision": str(store.compacted),
                                          "resourceVersion": str(store.rev)})
        if path == "/_test/namespaces" and method == "POST":
            name = req.get("name", "")
            if not isinstance(name, str) or is_dns1123_label(name):
                raise err_bad_request("namespace name must be a DNS-1123 label")
            with store.lock:
                if req.get("action") == "delete":
                    store.namespaces.pop(name, None)
                else:
                    store.namespaces.setdefault(name, {"uid": str(uuid.uuid4()),
                                                       "creationTimestamp": now_rfc3339()})
                store.changed()
                return Response.obj(200, {"namespaces": sorted(store.namespaces)})
        if path in ("/_test/pods", "/_test/objects") and method == "POST":
            plural = "pods" if path == "/_test/pods" else req.get("resource", "")
            rt = BY_PLURAL.get(plural)
            if rt is None:
                raise err_bad_request("unknown resource %r" % plural)
            return admin_object(store, rt, req)
        return Response.obj(404, err_generic(404).status())


def _rechunk(chunks, step):
    buf = b""
    for c in chunks:
        buf += c
        while len(buf) >= step:
            yield buf[:step]
            buf = buf[step:]
    if buf:
        yield buf


def fault_response(f):
    """The response a fault stands for, or None when it only delays or slows."""
    if "huge_body_bytes" in f:
        n = max(f["huge_body_bytes"], 0)
        head = b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","message":"'
        tail = b'"}\n'
        pad = max(n - len(head) - len(tail), 0)

        def gen():
            yield head
            left = pad
            block = b"x" * 65536
            while left > 0:
                yield block[:min(left, len(block))]
                left -= min(left, len(block))
            yield tail

        r = Response(f.get("status", 200))
        r.stream = (len(head) + pad + len(tail), gen())
        return r
    if "body" in f:
        r = Response(f.get("status", 200), f["body"].encode(), f.get("content_type", "application/json"))
        return r
    if "status" not in f:
        return None
    code = f["status"]
    msg = f.get("message", "injected fault")
    headers = {}
    if code == 500:
        e = err_internal(msg)
    elif code == 503:
        e = APIError(503, "ServiceUnavailable", msg)
    elif code == 429:
        retry = f.get("retry_after", 1)
        e = APIError(429, "TooManyRequests", f.get("message", "Too many requests, please try again later."),
                     _details(retry=retry))
        headers["Retry-After"] = str(retry)
    elif code == 504:
        e = err_timeout(f.get("message", "request did not complete within requested timeout - "
                                         "context deadline exceeded"))
    elif code == 401:
        e = err_unauthorized()
    else:
        e = err_generic(code, msg)
    if "reason" in f:
        e.reason = f["reason"]
    if "retry_after" in f and code != 429:
        headers["Retry-After"] = str(f["retry_after"])
    e.headers = headers
    return Response.error(e)


def admin_object(store, rt, req):
    action = req.get("action", "put")
    with store.lock:
        if action == "delete":
            ns, name = req.get("namespace", ""), req.get("name", "")
            key = ns + "/" + name
            if store.current(rt.plural, key) is None:
                raise err_not_found(rt.group, rt.plural, name)
            store.write(rt.plural, key, None)
            return Response.obj(200, {"deleted": key, "resourceVersion": str(store.rev)})
        if action != "put":
            raise err_bad_request("action must be put or delete")
        obj = req.get("object", req.get("pod"))
        if not isinstance(obj, dict) or not isinstance(obj.get("metadata"), dict):
            raise err_bad_request("expected \"%s\": {metadata: {name, namespace}, ...}"
                                  % ("pod" if rt.plural == "pods" else "object"))
        obj = copy.deepcopy(obj)
        meta = obj["metadata"]
        name, ns = meta.get("name"), meta.get("namespace", "default")
        if not isinstance(name, str) or is_dns1123_subdomain(name) or not isinstance(ns, str) \
                or is_dns1123_label(ns):
            raise err_bad_request("metadata.name must be a DNS-1123 subdomain and metadata.namespace a label")
        meta["namespace"] = ns
        key = ns + "/" + name
        old = store.current(rt.plural, key)
        meta.setdefault("uid", old["metadata"]["uid"] if old else str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", old["metadata"]["creationTimestamp"] if old else now_rfc3339())
        meta.pop("resourceVersion", None)
        if rt.crd:
            obj.setdefault("apiVersion", rt.gv)
            obj.setdefault("kind", rt.kind)
            meta.setdefault("generation", 1)
        else:
            obj.pop("apiVersion", None)
            obj.pop("kind", None)
            obj = dict({"kind": "Pod", "apiVersion": "v1"}, **obj)
            obj.setdefault("spec", {})
            obj.setdefault("status", {})
            if isinstance(obj["status"], dict):
                obj["status"].setdefault("phase", "Running")
        store.namespaces.setdefault(ns, {"uid": str(uuid.uuid4()), "creationTimestamp": now_rfc3339()})
        stored = store.write(rt.plural, key, obj)
        return Response.obj(200 if old else 201, stored, sort_keys=rt.crd)


# ---------------------------------------------------------------------------------------------
# the REST verbs for one resource type

class API:
    def __init__(self, store, rt, info, query, headers):
        self.store, self.rt, self.info, self.query, self.headers = store, rt, info, query, headers
        self.warnings = []

    def q(self, name, default=""):
        v = self.query.get(name)
        return v[-1] if v else default

    def key(self, name=None):
        return self.info.namespace + "/" + (self.info.name if name is None else name)

    def check_url_name(self):
        errs = path_segment_errors(self.info.name)
        if errs:
            raise err_bad_request("Name parameter invalid: %s: %s" % (go_quote(self.info.name), ";".join(errs)))

    def respond(self, code, obj):
        headers = {}
        if self.warnings:
            headers["Warning"] = ['299 - %s' % go_quote(w) for w in self.warnings]
        return Response.obj(code, obj, sort_keys=self.rt.crd, headers=headers)

    def not_found(self, name=None):
        return err_not_found(self.rt.group, self.rt.plural, self.info.name if name is None else name)

    # -- decoding

    def field_validation(self, kind_of_options):
        fv = self.q("fieldValidation")
        if fv not in ("", "Ignore", "Warn", "Strict"):
            raise err_invalid("meta.k8s.io", kind_of_options, "",
                              [not_supported("fieldValidation", fv, ["Ignore", "Strict", "Warn"])])
        return fv or "Warn"

    def unknown_fields(self, unknown, dups, directive):
        msgs = ['unknown field "%s"' % p for p in sorted(unknown)] + \
               ['duplicate field "%s"' % d for d in dups]
        if not msgs or directive == "Ignore":
            return
        if directive == "Strict":
            raise err_bad_request("strict decoding error: " + ", ".join(msgs))
        self.warnings += msgs

    def decode(self, body, directive):
        """The create and update handlers' decoding of a request body into an object."""
        rt = self.rt
        ct = self.headers.get("Content-Type") or rt.input_types[0]
        ct = ct.split(";")[0].strip().lower()
        if ct not in rt.input_types or ct == "application/vnd.kubernetes.protobuf":
            raise err_unsupported_media(rt.input_types)
        try:
            obj, dups = parse_json(body)
        except ValueError as e:
            raise err_bad_request("the object provided is unrecognized (must be of type %s): "
                                  "couldn't get version/kind; json parse error: %s (%s)"
                                  % (rt.kind, e, summarize(body)))
        if not isinstance(obj, dict):
            raise err_bad_request("the object provided is unrecognized (must be of type %s): "
                                  "couldn't get version/kind; json parse error: json: cannot "
                                  "unmarshal %s into Go value of type struct { APIVersion string "
                                  "\"json:\\\"apiVersion,omitempty\\\"\"; Kind string "
                                  "\"json:\\\"kind,omitempty\\\"\" } (%s)"
                                  % (rt.kind, json_type(obj), summarize(body)))
        return self.coerce(obj, dups, directive, body)

    def coerce(self, obj, dups, directive, body=None):
        rt = self.rt
        kind, api_version = obj.get("kind"), obj.get("apiVersion")
        if rt.crd:
            if not isinstance(kind, str) or not kind:
                raise err_bad_request('%s in version "%s" cannot be handled as a %s: Object \'Kind\' '
                                      'is missing in \'%s\'' % (rt.kind, rt.version, rt.kind,
                                                                (body or b"").decode("utf-8", "replace").strip()))
        else:
            kind = kind or rt.kind
            api_version = api_version or rt.gv
            if kind != rt.kind:
                raise err_bad_request('%s in version "%s" cannot be handled as a %s: no kind "%s" is '
                                      'registered for version "%s" in scheme '
                                      '"pkg/api/legacyscheme/scheme.go:30"'
                                      % (kind, rt.version, rt.kind, kind, rt.version))
        if api_version != rt.gv:
            raise err_bad_request("the API version in the data (%s) does not match the expected API "
                                  "version (%s)" % (api_version if isinstance(api_version, str) else "", rt.gv))
        meta, unknown = coerce_meta(obj.get("metadata"), rt.kind, rt.version)
        out = {"apiVersion": api_version, "kind": kind, "metadata": meta}
        if rt.crd:
            rest = {k: copy.deepcopy(v) for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
            if kind == rt.kind:
                prune(rest, rt.schema, "", unknown)
                prune_nulls(rest, rt.schema)
            out.update(rest)
        else:
            for k, v in obj.items():
                if k not in ("apiVersion", "kind", "metadata"):
                    out[k] = copy.deepcopy(v)
        self.unknown_fields(unknown, dups, directive)
        return out

    def validate(self, obj, old=None):
        """Strategy validation; returns field errors (empty when valid)."""
        rt = self.rt
        errs = []
        meta = obj["metadata"]
        if rt.crd:
            if obj["kind"] != rt.kind:
                errs.append(invalid("kind", obj["kind"], "must be " + rt.kind))
            if obj["apiVersion"] != rt.gv:
                errs.append(invalid("apiVersion", obj["apiVersion"], "must be " + rt.gv))
            if errs:
                return errs
            if old is None:
                validate_name(meta, errs)
            schema_validate(obj, rt.schema, "", errs)
        elif rt.plural == "events":
            if old is None:
                validate_name(meta, errs)
            errs += validate_event(obj)
        else:
            if old is None:
                validate_name(meta, errs)
                spec = obj.get("spec")
                conts = spec.get("containers") if isinstance(spec, dict) else None
                if not isinstance(conts, list) or not conts:
                    errs.append(required("spec.containers"))
                else:
                    for i, c in enumerate(conts):
                        c = c if isinstance(c, dict) else {}
                        if not c.get("name"):
                            errs.append(required("spec.containers[%d].name" % i))
                        else:
                            errs += [invalid("spec.containers[%d].name" % i, c["name"], m)
                                     for m in is_dns1123_label(c["name"])]
                        if not c.get("image"):
                            errs.append(required("spec.containers[%d].image" % i))
        if errs:
            return errs
        if old is None:
            if not meta.get("name"):
                errs.append(required("metadata.name", "name or generateName is required"))
            elif path_segment_errors(meta["name"]):
                errs += [invalid("metadata.name", meta["name"], m) for m in path_segment_errors(meta["name"])]
        else:
            om = old["metadata"]
            if om.get("deletionTimestamp"):
                new_f = [f for f in meta.get("finalizers", []) if f not in om.get("finalizers", [])]
                if new_f:
                    errs.append(FieldError("FieldValueForbidden", "metadata.finalizers", OMIT,
                                           "no new finalizers can be added if the object is being "
                                           "deleted, found new finalizers []string{%s}"
                                           % ", ".join(go_quote(f) for f in new_f)))
            if meta.get("generation", 0) < om.get("generation", 0):
                errs.append(invalid("metadata.generation", meta.get("generation", 0), "must not be decremented"))
            for f in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"):
                if meta.get(f) != om.get(f):
                    errs.append(invalid("metadata." + f, meta.get(f), "field is immutable"))
        validate_meta_common(meta, errs)
        return errs

    def invalid_error(self, obj, errs):
        av = obj.get("apiVersion")
        group = av.rpartition("/")[0] if self.rt.crd and isinstance(av, str) else ""
        return err_invalid(group, obj.get("kind", self.rt.kind), obj["metadata"].get("name", ""), errs)

    # -- get and list

    def get(self, body):
        self.check_url_name()
        with self.store.lock:
            obj = self.store.current(self.rt.plural, self.key())
        if obj is None:
            raise self.not_found()
        return self.respond(200, obj)

    def list_items(self):
        rt, store = self.rt, self.store
        labels = parse_label_selector(self.q("labelSelector"))
        fields = parse_field_selector(self.q("fieldSelector"), rt)
        limit_s = self.q("limit")
        try:
            limit = int(limit_s) if limit_s else 0
        except ValueError:
            raise err_bad_request('strconv.ParseInt: parsing %s: invalid syntax' % go_quote(limit_s))
        limit = max(limit, 0)
        cont, rv_s, rv_match = self.q("continue"), self.q("resourceVersion"), self.q("resourceVersionMatch")
        if rv_match and rv_match not in ("Exact", "NotOlderThan"):
            raise err_invalid("meta.k8s.io", "ListOptions", "", [not_supported(
                "resourceVersionMatch", rv_match, ["Exact", "NotOlderThan"])])
        if rv_match and not rv_s:
            raise err_invalid("meta.k8s.io", "ListOptions", "", [
                FieldError("FieldValueForbidden", "resourceVersionMatch", OMIT,
                           "resourceVersionMatch is forbidden unless resourceVersion is provided")])
        prefix = self.info.namespace + "/" if self.info.namespace else ""
        with store.lock:
            cur = store.rev
            start = ""
            if cont:
                start, crv = decode_continue(cont)
                if rv_s not in ("", "0"):
                    raise err_bad_request("specifying resource version is not allowed when using continue")
                at = crv if crv > 0 else cur
            else:
                at = cur
                if rv_s:
                    try:
                        rv = int(rv_s)
                        if rv < 0:
                            raise ValueError
                    except ValueError:
                        raise err_bad_request('invalid resource version: resourceVersion: Invalid value: '
                                              '%s: strconv.ParseUint: parsing %s: invalid syntax'
                                              % (go_quote(rv_s), go_quote(rv_s)))
                    if rv_match == "Exact" or (rv_match == "" and limit > 0 and rv > 0):
                        at = rv
                    if rv > cur:
                        raise err_timeout("Too large resource version: %d, current: %d" % (rv, cur), 1,
                                          [{"reason": "ResourceVersionTooLarge",
                                            "message": "Too large resource version"}])
            if at < store.compacted:
                if cont:
                    raise err_gone(
                        "The provided continue parameter is too old to display a consistent list "
                        "result. You can start a new list without the continue parameter, or use "
                        "the continue token in this response to retrieve the remainder of the "
                        "results. Continuing with the provided token results in an inconsistent "
                        "list - objects that were created, modified, or deleted between the time "
                        "the first chunk was returned and now may show up in the list.",
                        encode_continue(start, -1))
                raise err_gone("The resourceVersion for the provided list is too old.")
            live = []
            for k in store.keys(rt.plural, prefix):
                rel = k[len(prefix):]
                if rel < start:
                    continue
                obj = store.at(rt.plural, k, at)
                if obj is not None:
                    live.append((rel, obj))
            items, last, more = [], None, False
            for i, (rel, obj) in enumerate(live):
                last = rel
                if labels.matches(obj["metadata"].get("labels", {})) and fields_match(obj, fields):
                    items.append(copy.deepcopy(obj))
                    if limit and len(items) >= limit:
                        more = i < len(live) - 1
                        break
        meta = {"resourceVersion": str(at)}
        if more:
            meta["continue"] = encode_continue(last + "\x00", at)
            if labels.empty() and not fields:
                meta["remainingItemCount"] = len(live) - limit
        return meta, items

    def list(self, body):
        return self.list_response(*self.list_items())

    def list_response(self, meta, items):
        if self.rt.crd:
            out = {"apiVersion": self.rt.gv, "items": items, "kind": self.rt.list_kind, "metadata": meta}
        else:
            for it in items:
                it.pop("kind", None)
                it.pop("apiVersion", None)
            out = {"kind": self.rt.list_kind, "apiVersion": self.rt.gv, "metadata": meta, "items": items}
        return self.respond(200, out)

    # -- create

    def create(self, body):
        rt, store, info = self.rt, self.store, self.info
        if info.name:
            raise err_generic(405)
        directive = self.field_validation("CreateOptions")
        obj = self.decode(body, directive)
        meta = obj["metadata"]
        with store.lock:  # NamespaceLifecycle admission runs before the strategy's validation
            if info.namespace not in store.namespaces:
                raise err_not_found("", "namespaces", info.namespace)
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + "".join(random.choice("bcdfghjklmnpqrstvwxz2456789")
                                                          for _ in range(5))
        # BeforeCreate: system fields, namespace, PrepareForCreate, validation
        rv_in = meta.get("resourceVersion", "")
        ns = meta.get("namespace", "")
        if ns and ns != info.namespace:
            raise err_bad_request("the namespace of the provided object does not match the namespace "
                                  "sent on the request")
        meta["namespace"] = info.namespace
        if rt.crd:
            meta["generation"] = 1
        elif rt.plural == "pods":
            obj.setdefault("spec", {})
            if isinstance(obj["spec"], dict):
                obj["spec"].setdefault("terminationGracePeriodSeconds", 30)
            if not isinstance(obj.get("status"), dict):
                obj["status"] = {}
            obj["status"].setdefault("phase", "Pending")
        for f in ("deletionTimestamp", "deletionGracePeriodSeconds"):
            meta.pop(f, None)
        errs = self.validate(obj)
        if errs:
            raise self.invalid_error(obj, errs)
        name = meta["name"]
        with store.lock:
            if info.namespace not in store.namespaces:
                raise err_not_found("", "namespaces", info.namespace)  # deleted meanwhile
            if rv_in not in ("", "0"):
                try:
                    if int(rv_in) != 0:
                        raise err_unknown(500, "resourceVersion should not be set on objects to be created")
                except ValueError:
                    raise err_unknown(500, 'strconv.ParseUint: parsing %s: invalid syntax' % go_quote(rv_in))
            existing = store.current(rt.plural, self.key(name))
            if existing is not None:
                e = err_already_exists(rt.group, rt.plural, name)
                if existing["metadata"].get("deletionTimestamp"):
                    e.message = "object is being deleted: " + e.message
                raise e
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = now_rfc3339()
            meta.pop("resourceVersion", None)
            obj["metadata"] = {k: meta[k] for k in META_ORDER if k in meta}
            stored = store.write(rt.plural, self.key(name), obj)
        return self.respond(201, stored)

    # -- update and patch share the store's Update

    def update(self, body):
        self.check_url_name()
        directive = self.field_validation("UpdateOptions")
        obj = self.decode(body, directive)
        self.check_name(obj)
        uid_pre = obj["metadata"].get("uid")
        self.store.attempt(self.rt.plural, self.key())
        with self.store.lock:
            return self.store_update(obj, uid_pre)

    def check_name(self, obj):
        meta = obj["metadata"]
        if meta.get("name", "") != self.info.name:
            raise err_bad_request("the name of the object (%s) does not match the name on the URL (%s)"
                                  % (meta.get("name", ""), self.info.name))
        if meta.get("namespace") and meta["namespace"] != self.info.namespace:
            raise err_bad_request("the namespace of the object (%s) does not match the namespace on "
                                  "the request (%s)" % (meta["namespace"], self.info.namespace))

    def storage_error(self, msg):
        return "StorageError: invalid object, Code: 4, Key: %s%s, ResourceVersion: 0, " \
               "AdditionalErrorMsg: %s" % (self.rt.key_prefix, self.key(), msg)

    def store_update(self, obj, uid_pre):
        """registry.Store.Update inside etcd3's GuaranteedUpdate; caller holds the lock."""
        rt, store = self.rt, self.store
        name = self.info.name
        existing = store.current(rt.plural, self.key())
        if uid_pre is not None and (existing is None or existing["metadata"].get("uid") != uid_pre):
            raise err_conflict(rt.group, rt.plural, name, self.storage_error(
                "Precondition failed: UID in precondition: %s, UID in object meta: %s"
                % (uid_pre, existing["metadata"].get("uid", "") if existing else "")))
        meta = obj["metadata"]
        rv_s = meta.get("resourceVersion", "")
        try:
            rv = int(rv_s) if rv_s else 0
            if rv < 0:
                raise ValueError
        except ValueError:
            raise err_unknown(500, "strconv.ParseUint: parsing %s: invalid syntax" % go_quote(rv_s))
        if existing is None:
            raise self.not_found()
        cur_rv = int(existing["metadata"]["resourceVersion"])
        if rv == 0:
            if rt.crd:  # customResourceStrategy.AllowUnconditionalUpdate() is false
                raise err_invalid(rt.group, rt.plural, name, [
                    invalid("metadata.resourceVersion", 0, "must be specified for an update")])
            meta["resourceVersion"] = str(cur_rv)
        elif rv != cur_rv:
            raise err_conflict(rt.group, rt.plural, name, OPTIMISTIC_LOCK_MSG)
        # BeforeUpdate
        om = existing["metadata"]
        meta["namespace"] = self.info.namespace
        meta["generation"] = om.get("generation", 0)
        if rt.crd:
            strip = lambda o: {k: v for k, v in o.items() if k != "metadata"}  # noqa: E731
            if not json_equal(strip(obj), strip(existing)):
                meta["generation"] = om.get("generation", 0) + 1
        if not meta.get("uid"):
            meta["uid"] = om.get("uid")
        meta["creationTimestamp"] = om.get("creationTimestamp")
        if om.get("deletionTimestamp"):
            meta["deletionTimestamp"] = om["deletionTimestamp"]
        if "deletionGracePeriodSeconds" in om and "deletionGracePeriodSeconds" not in meta:
            meta["deletionGracePeriodSeconds"] = om["deletionGracePeriodSeconds"]
        if not meta.get("generation"):
            meta.pop("generation", None)
        errs = self.validate(obj, existing)
        if errs:
            raise self.invalid_error(obj, errs)
        obj["metadata"] = {k: meta[k] for k in META_ORDER if k in meta}
        # ShouldDeleteDuringUpdate: finalizers emptied on an object being deleted
        if not meta.get("finalizers") and om.get("deletionTimestamp") and \
                not om.get("deletionGracePeriodSeconds"):
            store.write(rt.plural, self.key(), None)
            return self.respond(200, obj)
        cmp_new = copy.deepcopy(obj)
        cmp_new["metadata"].pop("resourceVersion", None)
        cmp_old = copy.deepcopy(existing)
        cmp_old["metadata"].pop("resourceVersion", None)
        if json_equal(cmp_new, cmp_old):
            return self.respond(200, existing)  # no-op: etcd is not written, RV unchanged
        stored = store.write(rt.plural, self.key(), obj)
        return self.respond(200, stored)

    def patch(self, body):
        rt, store = self.rt, self.store
        self.check_url_name()
        ct = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if ct not in rt.patch_types:
            raise err_unsupported_media(rt.patch_types)
        if ct in rt.patch_unimplemented:
            raise APIError(415, "UnsupportedMediaType",
                           "%s is not implemented by this test server" % ct)
        directive = self.field_validation("PatchOptions")
        try:
            patch, _ = parse_json(body)
        except ValueError:
            raise err_bad_request("invalid JSON patch")
        if ct == "application/json-patch+json":
            if not isinstance(patch, list) or not all(isinstance(op, dict) for op in patch):
                raise err_bad_request("json: cannot unmarshal %s into Go value of type jsonpatch.Patch"
                                      % json_type(patch))
            if len(patch) > MAX_JSON_PATCH_OPS:
                raise err_too_large("The allowed maximum operations in a JSON patch is %d, got %d"
                                    % (MAX_JSON_PATCH_OPS, len(patch)))
        elif not isinstance(patch, dict):
            raise err_bad_request("Invalid JSON Patch")
        # a merge patch without metadata.resourceVersion has no precondition: when another write
        # commits first, GuaranteedUpdate applies it again to the new object, for as long as that
        # takes; one with it ends in a 409 (registry.Store.Update's check)
        guarded = isinstance(patch, dict) and isinstance(patch.get("metadata"), dict) and \
            patch["metadata"].get("resourceVersion")
        while True:
            seen = store.attempt(rt.plural, self.key())
            with store.lock:
                existing = store.current(rt.plural, self.key())
                if seen is not None and not guarded and existing is not None and \
                        existing["metadata"]["resourceVersion"] != seen:
                    store.retries += 1
                    continue
                return self.patch_locked(patch, ct, existing, directive)

    def patch_locked(self, patch, ct, existing, directive):
        """Applies patch to existing and stores it; the caller holds the lock."""
        rt = self.rt
        if existing is None:
            raise self.not_found()
        if ct == "application/json-patch+json":
            try:
                patched = json_patch(existing, patch)
            except PatchError:
                # NewGenericServerResponse(422, ...) keeps no cause: the message is generic
                raise err_generic(422)
        else:
            patched = merge_patch(existing, patch)
        if not isinstance(patched, dict):
            raise err_bad_request("the object provided is unrecognized")
        # the patched JSON is decoded as a request body would be
        if rt.crd and (patched.get("kind") != rt.kind or patched.get("apiVersion") != rt.gv) \
                and isinstance(patched.get("kind"), str) and patched.get("kind"):
            obj = self.coerce(dict(patched, apiVersion=rt.gv), [], directive)
            obj["apiVersion"], obj["kind"] = patched.get("apiVersion"), patched.get("kind")
            raise self.invalid_error(obj, self.validate(obj, existing))
        obj = self.coerce(patched, [], directive)
        self.check_name(obj)
        return self.store_update(obj, None)

    # -- delete

    def delete_options(self, body):
        opts = {}
        gp = self.q("gracePeriodSeconds")
        if gp:
            try:
                opts["gracePeriodSeconds"] = int(gp)
            except ValueError:
                raise err_bad_request('strconv.ParseInt: parsing %s: invalid syntax' % go_quote(gp))
        if self.q("propagationPolicy"):
            opts["propagationPolicy"] = self.q("propagationPolicy")
        if body.strip():
            try:
                b, _ = parse_json(body)
            except ValueError as e:
                raise err_bad_request("couldn't get version/kind; json parse error: %s" % e)
            if not isinstance(b, dict):
                raise err_bad_request("decoded object cannot be converted to DeleteOptions")
            if b.get("kind", "DeleteOptions") != "DeleteOptions":
                raise err_bad_request("decoded object cannot be converted to DeleteOptions")
            opts.update(b)
        errs = []
        pp = opts.get("propagationPolicy")
        if pp is not None and pp not in ("Orphan", "Background", "Foreground"):
            errs.append(not_supported("propagationPolicy", pp, ["Foreground", "Background", "Orphan"]))
        if pp is not None and opts.get("orphanDependents") is not None:
            errs.append(invalid("propagationPolicy", pp, "orphanDependents and deletionPropagation "
                                                         "cannot be both set"))
        pre = opts.get("preconditions")
        if pre is not None and not isinstance(pre, dict):
            raise err_bad_request("json: cannot unmarshal %s into Go struct field "
                                  "DeleteOptions.preconditions" % json_type(pre))
        if errs:
            raise err_invalid("meta.k8s.io", "DeleteOptions", "", errs)
        return opts

    def delete(self, body):
        rt, store = self.rt, self.store
        self.check_url_name()
        opts = self.delete_options(body)
        with store.lock:
            return self.delete_locked(self.info.name, opts)

    def delete_locked(self, name, opts):
        rt, store = self.rt, self.store
        key = self.key(name)
        existing = store.current(rt.plural, key)
        if existing is None:
            raise self.not_found(name)
        om = existing["metadata"]
        pre = opts.get("preconditions") or {}
        if pre.get("uid") is not None and pre["uid"] != om.get("uid"):
            raise err_conflict(rt.group, rt.kind, name,
                               "the UID in the precondition (%s) does not match the UID in record "
                               "(%s). The object might have been deleted and then recreated"
                               % (pre["uid"], om.get("uid")))
        if pre.get("resourceVersion") is not None and pre["resourceVersion"] != om.get("resourceVersion"):
            raise err_conflict(rt.group, rt.kind, name,
                               "the ResourceVersion in the precondition (%s) does not match the "
                               "ResourceVersion in record (%s). The object might have been modified"
                               % (pre["resourceVersion"], om.get("resourceVersion")))
        if rt.crd:
            graceful, pending, period = False, False, 0
        else:
            graceful, pending, period = self.pod_graceful(existing, opts)
        if pending:
            return self.respond(200, existing)
        if graceful and period > 0:
            new = copy.deepcopy(existing)
            new["metadata"]["deletionTimestamp"] = now_rfc3339(period)
            new["metadata"]["deletionGracePeriodSeconds"] = period
            new["metadata"] = {k: new["metadata"][k] for k in META_ORDER if k in new["metadata"]}
            return self.respond(200, store.write(rt.plural, key, new))
        if om.get("finalizers"):
            new = copy.deepcopy(existing)
            nm = new["metadata"]
            if not nm.get("deletionTimestamp") and nm.get("generation", 0) > 0:
                nm["generation"] += 1
            nm.setdefault("deletionTimestamp", now_rfc3339())
            nm["deletionGracePeriodSeconds"] = 0
            new["metadata"] = {k: nm[k] for k in META_ORDER if k in nm}
            if json_equal(new, existing):
                return self.respond(200, existing)
            return self.respond(200, store.write(rt.plural, key, new))
        store.write(rt.plural, key, None)
        if rt.crd:  # finalizeDelete without ReturnDeletedObject: a metav1.Status, in struct order
            return Response.obj(200, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                      "status": "Success",
                                      "details": _details(name, rt.group, rt.plural, om.get("uid"))})
        out = copy.deepcopy(existing)
        if graceful:
            out["metadata"].setdefault("deletionTimestamp", now_rfc3339())
            out["metadata"]["deletionGracePeriodSeconds"] = 0
        return self.respond(200, out)

    @staticmethod
    def pod_graceful(pod, opts):
        """BeforeDelete with the pod strategy's CheckGracefulDelete: (graceful, pending, period)."""
        meta = pod["metadata"]
        spec = pod.get("spec") if isinstance(pod.get("spec"), dict) else {}
        status = pod.get("status") if isinstance(pod.get("status"), dict) else {}
        want = opts.get("gracePeriodSeconds")
        if isinstance(want, int) and want < 0:
            want = 1
        if meta.get("deletionTimestamp"):
            cur = meta.get("deletionGracePeriodSeconds") or 0
            if cur == 0:
                return False, False, 0
            if want is not None and want < cur:
                return True, False, want
            return False, True, cur
        period = want if want is not None else spec.get("terminationGracePeriodSeconds", 0) or 0
        if not spec.get("nodeName") or status.get("phase") in ("Failed", "Succeeded"):
            period = 0
        return True, False, period

    def deletecollection(self, body):
        opts = self.delete_options(body)
        meta, items = self.list_items()
        with self.store.lock:
            for it in items:
                try:
                    self.info.namespace = it["metadata"]["namespace"]
                    self.delete_locked(it["metadata"]["name"], opts)
                except APIError as e:
                    if e.code != 404:
                        raise
        return self.list_response(meta, items)


def encode_continue(start, rev):
    tok = json.dumps({"v": "meta.k8s.io/v1", "rv": rev, "start": start}, separators=(",", ":"))
    return base64.urlsafe_b64encode(tok.encode()).decode().rstrip("=")


def decode_continue(value):
    def bad(detail):
        return err_bad_request("invalid continue token: continue key is not valid: %s" % detail)
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        tok = json.loads(raw)
    except (ValueError, TypeError) as e:
        raise bad(e)
    if not isinstance(tok, dict) or tok.get("v") != "meta.k8s.io/v1":
        raise err_bad_request("invalid continue token: continue key is not valid: server does not "
                              "recognize this encoded version %s" % (tok.get("v") if isinstance(tok, dict) else ""))
    rv, start = tok.get("rv"), tok.get("start")
    if not isinstance(rv, int) or rv == 0:
        raise err_bad_request("invalid continue token: continue key is not valid: incorrect encoded "
                              "start resourceVersion (version meta.k8s.io/v1)")
    if not isinstance(start, str) or not start:
        raise err_bad_request("invalid continue token: continue key is not valid: encoded start key "
                              "empty (version meta.k8s.io/v1)")
    key = start if start.startswith("/") else "/" + start
    if posixpath.normpath(key) != key and not (key.endswith("\x00") and
                                               posixpath.normpath(key[:-1]) == key[:-1]):
        raise bad(start)
    return key[1:], rv


# ---------------------------------------------------------------------------------------------
# main

def parse_listen(s):
    host, sep, port = s.rpartition(":")
    if not sep:
        raise ValueError("--listen must be HOST:PORT")
    host = host.strip("[]")
    if host == "localhost":
        host = "127.0.0.1"
    addr = ipaddress.ip_address(host)
    if not addr.is_loopback:
        raise ValueError("refusing to listen on %s: only loopback addresses (127.0.0.0/8, ::1) are "
                         "allowed" % host)
    return str(addr), int(port), addr.version


def main(argv=None):
    global LOG
    ap = argparse.ArgumentParser(description="Kubernetes API server for rdmanet's tests")
    ap.add_argument("--listen", default="127.0.0.1:0", help="loopback HOST:PORT (port 0 picks one)")
    ap.add_argument("--cert", help="server certificate (PEM)")
    ap.add_argument("--key", help="server private key (PEM)")
    ap.add_argument("--client-ca", help="CA whose client certificates authenticate as their CN")
    ap.add_argument("--tokens", help="JSON file: token -> {user, groups, allow}")
    ap.add_argument("--admin-token", help="bearer token for the /_test/ endpoints")
    ap.add_argument("--admin-token-file", help="file holding the admin token")
    ap.add_argument("--state-file", help="load the store from and save it to this JSON file")
    ap.add_argument("--port-file", help="write the listening port here once listening")
    ap.add_argument("--namespace", action="append", default=[], help="extra existing namespace")
    ap.add_argument("--anonymous-auth", action="store_true",
                    help="requests without credentials are system:anonymous (default: 401)")
    ap.add_argument("--history", type=int, default=1000,
                    help="revisions of history kept for paginated lists (default 1000)")
    ap.add_argument("--plain-http", action="store_true", help="no TLS (negative tests only)")
    ap.add_argument("--log", help="append a line per request to this file ('-' for stderr)")
    ap.add_argument("--crds", default=DEFAULT_CRDS,
                    help="the CRDs whose schemas validate and prune the custom resources "
                         "(default: deploy/crds.yaml)")
    ap.add_argument("--update-cost-ms", type=float, default=0,
                    help="CPU ms each try of an update or patch costs (default 0: none)")
    ap.add_argument("--update-cost-us-per-kib", type=float, default=0,
                    help="and CPU us per KiB of the stored object")
    ap.add_argument("--update-cpus", type=int, default=2, help="CPUs those tries share")
    a = ap.parse_args(argv)

    try:
        host, port, family = parse_listen(a.listen)
    except ValueError as e:
        ap.error(str(e))
    if not a.plain_http and not (a.cert and a.key):
        ap.error("--cert and --key are required unless --plain-http")
    try:
        load_crds(a.crds)
    except Exception as e:  # OSError, ValueError, ImportError, yaml.YAMLError
        ap.error("--crds: %s" % e)
    if a.log:
        LOG = sys.stderr if a.log == "-" else open(a.log, "a")
    admin = a.admin_token
    if a.admin_token_file:
        with open(a.admin_token_file) as f:
            admin = f.read().strip()

    Server.address_family = socket.AF_INET6 if family == 6 else socket.AF_INET
    srv = Server((host, port), Handler)
    srv.ssl_ctx = None
    if not a.plain_http:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(a.cert, a.key)
        ctx.set_alpn_protocols(["http/1.1"])
        if a.client_ca:
            ctx.load_verify_locations(a.client_ca)
            ctx.verify_mode = ssl.CERT_OPTIONAL
        srv.ssl_ctx = ctx
    try:
        srv.tokens = Tokens(a.tokens)
    except (OSError, ValueError) as e:
        ap.error("--tokens: %s" % e)
    srv.admin_token = admin
    srv.anonymous = a.anonymous_auth
    srv.faults = Faults()
    srv.stats = Stats()
    srv.store = Store(a.state_file, max(a.history, 1), a.namespace)
    srv.store.cost_ms, srv.store.cost_us_per_kib = a.update_cost_ms, a.update_cost_us_per_kib
    srv.store.cpus = threading.Semaphore(max(a.update_cpus, 1))

    stopping = threading.Event()

    def stop(signum, frame):
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    bound = srv.server_address[1]
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % bound)
        os.replace(tmp, a.port_file)
    log("listening on %s:%d (%s)" % (host, bound, "http" if a.plain_http else "https"))
    try:
        srv.serve_forever(poll_interval=0.2)
    finally:
        srv.store.save()
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
