#!/usr/bin/env python3
"""Signs test cases with botocore.auth.SigV4Auth: the oracle for the ElevateSigV4 property test.

Usage: botocore_sign.py CASES_JSON RESULTS_JSON

CASES_JSON holds {"cases": [...]}; each case has access_key, secret_key, token (optional), region, service, host,
path, query ([[name, value], ...]), headers ([[name, value], ...]), params ([[name, value], ...], unique names) and
epoch_millis. Each request is built the way botocore's STS client builds a Query API call: POST with the params as a
dict body (form-url-encoded by AWSRequest) and Content-Type application/x-www-form-urlencoded; charset=utf-8.
RESULTS_JSON receives {"botocore_version": ..., "results": [{authorization, body, canonical_request,
string_to_sign, x_amz_date, security_token}, ...]}.
Exit status 3 means botocore is not importable.
"""

import datetime
import json
import sys
from unittest import mock

try:
    import botocore
    import botocore.auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
except ImportError as error:
    sys.stderr.write(
        f"botocore is not importable from {sys.executable}: {error}. "
        "Install botocore there, or point AWS_ELEVATE_TEST_PYTHON at an interpreter that has it.\n"
    )
    sys.exit(3)


class RecordingSigV4Auth(botocore.auth.SigV4Auth):
    """SigV4Auth that remembers the canonical request and string to sign add_auth computed."""

    def string_to_sign(self, request, canonical_request):
        result = super().string_to_sign(request, canonical_request)
        self.recorded = (canonical_request, result)
        return result


def sign(case):
    millis = case["epoch_millis"]
    moment = datetime.datetime.fromtimestamp(millis // 1000, tz=datetime.timezone.utc).replace(
        microsecond=(millis % 1000) * 1000
    )
    request = AWSRequest(
        method="POST",
        url=f"https://{case['host']}{case['path']}",
        data={name: value for name, value in case["params"]},
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    for name, value in case["headers"]:
        request.headers[name] = value  # HTTPHeaders appends: repeated names stay repeated
    if case["query"]:
        request.params = [(name, value) for name, value in case["query"]]
    credentials = Credentials(case["access_key"], case["secret_key"], case.get("token"))
    auth = RecordingSigV4Auth(credentials, case["service"], case["region"])
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=moment.replace(tzinfo=None)):
        auth.add_auth(request)
    canonical_request, string_to_sign = auth.recorded
    return {
        "authorization": request.headers["Authorization"],
        "body": request.body.decode("utf-8") if request.body else "",
        "canonical_request": canonical_request,
        "string_to_sign": string_to_sign,
        "x_amz_date": request.headers["X-Amz-Date"],
        "security_token": request.headers.get("X-Amz-Security-Token"),
    }


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: botocore_sign.py CASES_JSON RESULTS_JSON\n")
        return 2
    with open(sys.argv[1], encoding="utf-8") as handle:
        cases = json.load(handle)["cases"]
    results = [sign(case) for case in cases]
    with open(sys.argv[2], "w", encoding="utf-8") as handle:
        json.dump({"botocore_version": botocore.__version__, "results": results}, handle, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
