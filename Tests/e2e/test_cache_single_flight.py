"""Single flight across processes: parallel cold callers of one profile cause one sts:AssumeRole per hop, all get the
same session; a warm cache makes no request at all.

moto verifies every signature (INITIAL_NO_AUTH_ACTION_COUNT=0); a counting proxy on loopback sits in front of it.
"""

import subprocess

from cache_harness import CountingProxy, entry_files, seed_app_chain
from harness import parse_credential_document, Result

CALLERS = 64


def test_64_parallel_cold_callers_make_one_assume_role_per_hop_and_share_one_session(sandbox, moto, unique):
    seed_app_chain(sandbox, moto, unique, hops=2)
    proxy = CountingProxy(moto.url)
    try:
        # The default mode (auto): no session bus here, so the file backend.
        environment = sandbox.environment({"AWS_ENDPOINT_URL": proxy.url})
        argv = [str(sandbox.binary), "credential-process", "--profile", "app-chain", "--debug"]
        processes = [subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      env=environment, cwd=sandbox.root) for _ in range(CALLERS)]
        results = []
        for process in processes:
            stdout, stderr = process.communicate(timeout=180)
            results.append(Result(argv, process.returncode, stdout, stderr))
        documents = [parse_credential_document(result) for result in results]
        assert proxy.count("AssumeRole") == 2, [exchange.action for exchange in proxy.exchanges]
        assert all(exchange.status == 200 for exchange in proxy.exchanges)
        assert len({result.stdout for result in results}) == 1, "every caller got the same session"
        assert documents[0]["SessionToken"]
        stored = [result for result in results if "cache: stored (file)" in result.err]
        assert len(stored) == 1, "exactly one process fetched and stored"
        assert any("cache: waiting for the lock" in result.err for result in results), \
            "callers arriving during the fetch waited for the lock"
        assert len(entry_files(sandbox)) == 1
    finally:
        proxy.stop()
