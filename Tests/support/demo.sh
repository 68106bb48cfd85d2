#!/usr/bin/env bash
# make demo: the real aws CLI gets its credentials through `aws-elevate credential-process`, against moto_server
# acting as a verifying STS on a free loopback port, first from static keys, then from an EC2 instance role (a
# loopback IMDS emulator) through role A to role B. Everything it starts is stopped on exit; its files live in a
# temporary folder that is removed. Run through `make demo`, which installs what is missing and builds the binary.
#
# Each stage is a function, so later chains (IMDS emulator → role A → role B) add stages without reshaping this.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
venv=${VENV:-$repo_root/.venv}
python=$venv/bin/python
aws=$venv/bin/aws
elevate=${AWS_ELEVATE_BIN:-$repo_root/.build/release/aws-elevate}
moto_py=$repo_root/Tests/support/moto.py
imds_py=$repo_root/Tests/support/imds_emulator.py
chain_py=$repo_root/Tests/support/demo_chain.py

for needed in "$python" "$aws" "$elevate"; do
    [[ -x $needed ]] || { echo "demo: $needed is missing: run 'make demo', which installs and builds it" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/aws-elevate-demo.XXXXXX")
imds_pid=
cleanup() {
    "$python" "$moto_py" stop "$work/moto" || true
    if [[ -n $imds_pid ]]; then kill "$imds_pid" 2>/dev/null || true; wait "$imds_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Nothing of the caller's AWS setup leaks in: no AWS_* variable, no ~/.aws, no instance metadata.
while read -r name; do unset "$name"; done < <(compgen -e | grep '^AWS_' || true)
export HOME=$work/home
export AWS_CONFIG_FILE=$HOME/.aws/config
export AWS_SHARED_CREDENTIALS_FILE=$HOME/.aws/credentials
export AWS_EC2_METADATA_DISABLED=true
mkdir -p "$HOME/.aws"

if [[ -t 1 ]]; then bold=$'\e[1m' dim=$'\e[2m' plain=$'\e[0m'; else bold='' dim='' plain=''; fi
stage() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
note() { printf '%s%s%s\n' "$dim" "$*" "$plain"; }
# Prints a command the way a user would type it (home-relative, binary by name), then runs it.
run() {
    local shown=${*//"$elevate"/aws-elevate}
    shown=${shown//"$aws"/aws}
    printf '%s$ %s%s\n' "$bold" "$shown" "$plain"
    "$@"
}
# The demo's keys are throwaway ones of a local emulator, but a demo should show the habit: secrets masked.
mask_secrets() {
    sed -E -e 's/("SecretAccessKey": ")[^"]*(.{4}")/\1****\2/' \
        -e 's/(secret_access_key = ).*(.{4})$/\1****\2/' \
        -e "s/^(export AWS_SECRET_ACCESS_KEY=').*(.{4}')$/\1****\2/"
}

start_sts() {
    stage "1. Start moto_server as a verifying STS (every SigV4 signature checked) on a free loopback port"
    endpoint=$("$python" "$moto_py" start "$work/moto")
    export AWS_ENDPOINT_URL=$endpoint
    note "STS endpoint: $endpoint   (exported as AWS_ENDPOINT_URL for the SDKs)"
}

seed_user() {
    stage "2. Create an IAM user with an access key and a policy allowing sts:*"
    local user_json
    user_json=$("$python" "$moto_py" seed-user "$work/moto" demo-user)
    read -r user_arn user_key user_secret < <("$python" -c \
        'import json,sys; u=json.load(sys.stdin); print(u["arn"], u["access_key_id"], u["secret_access_key"])' \
        <<<"$user_json")
    note "user: $user_arn   key: ****${user_key: -4}   (checked: a wrong secret gets SignatureDoesNotMatch)"
}

write_config() {
    stage "3. A throwaway AWS config: the SDK-facing profile runs aws-elevate for its chain profile"
    cat >"$AWS_CONFIG_FILE" <<EOF
[profile app]
credential_process = $elevate credential-process --profile app-chain
region = us-east-1

[profile app-chain]
region = us-east-1
EOF
    cat >"$AWS_SHARED_CREDENTIALS_FILE" <<EOF
[app-chain]
aws_access_key_id = $user_key
aws_secret_access_key = $user_secret
EOF
    note "# $AWS_CONFIG_FILE"
    cat "$AWS_CONFIG_FILE"
    note "# $AWS_SHARED_CREDENTIALS_FILE"
    mask_secrets <"$AWS_SHARED_CREDENTIALS_FILE"
}

show_credential_process() {
    stage "4. What the SDK reads from aws-elevate (the credential_process JSON; secret masked here)"
    run "$elevate" credential-process --profile app-chain | mask_secrets
    stage "   ... and the same credentials for a shell"
    run "$elevate" env --profile app-chain --shell bash | mask_secrets
}

call_sts_with_the_aws_cli() {
    stage "5. The real aws CLI calls STS through credential_process"
    run "$aws" sts get-caller-identity --profile app --output table
}

show_a_rejected_signature() {
    stage "6. The STS really checks: the same chain with a wrong secret is refused"
    # Appending keeps it wrong whatever the secret ends with (replacing its last character by X did not, once in 62).
    sed -i -E 's/^(aws_secret_access_key = .*)$/\1-wrong/' "$AWS_SHARED_CREDENTIALS_FILE"
    if run "$aws" sts get-caller-identity --profile app --output table 2>&1; then
        echo "demo: a wrong secret was accepted: the STS emulator is not checking signatures" >&2
        exit 1
    fi
    note "(refused, as it should be)"
}

start_imds() {
    stage "7. Start the IMDS emulator on a free loopback port: this machine's 'instance role'"
    "$python" "$imds_py" --port-file "$work/imds.port" >/dev/null &
    imds_pid=$!
    for _ in $(seq 100); do [[ -s $work/imds.port ]] && break; sleep 0.1; done
    [[ -s $work/imds.port ]] || { echo "demo: the IMDS emulator did not start" >&2; exit 1; }
    imds_endpoint=http://127.0.0.1:$(<"$work/imds.port")
    note "IMDS endpoint: $imds_endpoint   (aws-elevate reads it from AWS_EC2_METADATA_SERVICE_ENDPOINT)"
}

seed_role_chain() {
    stage "8. Create an instance role, role A trusting its session, role B trusting A's; IMDS serves the session"
    local chain_json
    chain_json=$("$python" "$chain_py" "$work/moto" "$imds_endpoint")
    read -r instance_role role_a role_b < <("$python" -c \
        'import json,sys; c=json.load(sys.stdin); print(c["instance_role"], c["role_a"], c["role_b"])' \
        <<<"$chain_json")
    note "instance role: $instance_role (session i-0123456789abcdef0, served by IMDS)"
    note "role A: $role_a   role B: $role_b"
}

write_role_chain_config() {
    stage "9. The chain: IMDS -> role A -> role B; the SDK-facing profile still only runs aws-elevate"
    cat >"$AWS_CONFIG_FILE" <<EOF
[profile app]
credential_process = $elevate credential-process --profile app-chain
region = us-east-1

[profile app-chain]
role_arn = $role_b
source_profile = a-chain
role_session_name = demo-b

[profile a-chain]
role_arn = $role_a
credential_source = Ec2InstanceMetadata
EOF
    note "# $AWS_CONFIG_FILE   (role A's session is named aws-elevate-<instance id> by default)"
    cat "$AWS_CONFIG_FILE"
    unset AWS_EC2_METADATA_DISABLED
    export AWS_EC2_METADATA_SERVICE_ENDPOINT=$imds_endpoint
}

call_sts_through_the_role_chain() {
    stage "10. The real aws CLI gets role B: instance role -> A -> B, two sts:AssumeRole hops checked by moto"
    run "$aws" sts get-caller-identity --profile app --output table
    stage "    ... and aws-elevate's own check of the chain's identity"
    run "$elevate" whoami --profile app-chain
}

show_the_shell() {
    stage "11. In a real bash: elevate to role B (with the prompt), the aws CLI as B, unelevate, exec --server"
    note "(~/.bashrc holds: eval \"\$(aws-elevate shell-init bash)\" and PS1='\$(aws_elevate_prompt)'\"\$PS1\")"
    # Each line is printed as typed, then run by the same bash, so that elevate changes that shell.
    AWS_DEFAULT_REGION=us-east-1 PATH=$(dirname "$elevate"):$venv/bin:$PATH bold=$bold plain=$plain bash --norc --noprofile -s <<'SHELL'
set -euo pipefail
typed() { printf '%sbash$ %s%s\n' "$bold" "$1" "$plain"; eval "$1"; }
eval "$(aws-elevate shell-init bash)"
typed 'aws sts get-caller-identity --query Arn --output text          # the instance role, from IMDS'
typed 'elevate app-chain'
typed 'echo "prompt: $(aws_elevate_prompt)\$ "'
typed 'aws sts get-caller-identity --query Arn --output text          # role B, from the keys elevate set'
typed 'unelevate'
typed 'echo "prompt: $(aws_elevate_prompt)\$ "'
typed 'aws sts get-caller-identity --query Arn --output text          # the instance role again'
typed 'aws-elevate exec --server --profile app-chain -- sh -c '"'"'env | grep -c "^AWS_SECRET_ACCESS_KEY=" || true; aws sts get-caller-identity --query Arn --output text'"'"''
SHELL
    note "(in exec --server the child holds no keys (0 above): the AWS CLI polls a loopback endpoint with a token)"
}

show_the_session_cache() {
    stage "12. The session cache: the next call is served without a network request, even with the peers stopped"
    "$python" "$moto_py" stop "$work/moto" >/dev/null
    kill "$imds_pid" 2>/dev/null || true
    wait "$imds_pid" 2>/dev/null || true
    imds_pid=
    note "moto_server and the IMDS emulator are stopped now"
    printf '%s$ %s%s\n' "$bold" "aws-elevate credential-process --profile app-chain --debug" "$plain"
    "$elevate" credential-process --profile app-chain --debug 2>&1 >/dev/null | grep 'cache:' || true
    run "$elevate" cache list
}

start_sts
seed_user
write_config
show_credential_process
call_sts_with_the_aws_cli
show_a_rejected_signature
start_imds
seed_role_chain
write_role_chain_config
call_sts_through_the_role_chain
show_the_shell
show_the_session_cache
stage "Done: stopping moto_server and the IMDS emulator, removing $work"
