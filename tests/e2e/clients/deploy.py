"""Drives Milkcrate through the Python client generated from its OpenAPI document (run by
tests/e2e/clients.rs with tools/.venv): logs in, deploys the ZIP given, follows the deployment to
`running`, reads the app's logs. Prints one line per step; exits non-zero naming what failed.

Usage: deploy.py URL PASSWORD ZIP NAME ROUTE EXPECTED_LINE
"""

import sys
import time

from milkcrate_client import AuthenticatedClient, Client
from milkcrate_client.api.apps import app_logs, create_app, get_app
from milkcrate_client.api.auth import login
from milkcrate_client.api.deployments import get_deployment, get_deployment_log
from milkcrate_client.models import (
    AppStatus,
    CreateAppForm,
    CreatedApp,
    DeploymentStatus,
    ErrorBody,
    LoginRequest,
    LoginResponse,
)
from milkcrate_client.types import File

url, password, zip_path, name, route, expected = sys.argv[1:7]


def check(answer, kind):
    if not isinstance(answer, kind):
        sys.exit(f"expected {kind.__name__}, got {answer!r}")
    return answer


def eventually(what, seconds, probe):
    deadline = time.monotonic() + seconds
    while True:
        value = probe()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            sys.exit(f"timed out after {seconds}s waiting for {what}")
        time.sleep(0.2)


# Log in with the password. Once scoped API tokens exist (POST /api/v1/tokens, `mc_...`), a
# script skips this step and passes its token to AuthenticatedClient the same way.
anonymous = Client(base_url=url)
wrong = login.sync(client=anonymous, body=LoginRequest(password="not-the-password"))
check(wrong, ErrorBody)
print(f"wrong password refused: {wrong.code.value}: {wrong.message}")
session = check(login.sync(client=anonymous, body=LoginRequest(password=password)), LoginResponse)
api = AuthenticatedClient(base_url=url, token=session.token, timeout=30.0)
print("logged in")

with open(zip_path, "rb") as archive:
    form = CreateAppForm(
        name=name,
        route=route,
        file=File(payload=archive, file_name="app.zip", mime_type="application/zip"),
    )
    created = check(create_app.sync(client=api, body=form), CreatedApp)
deployment = created.deployment
print(f"created {created.app.name} at {created.app.route}; deployment {deployment.id} {deployment.status.value}")

# A second app of the same name: refused, the reason in the error body.
with open(zip_path, "rb") as archive:
    taken = create_app.sync(
        client=api,
        body=CreateAppForm(name=name, route=route + "-2", file=File(payload=archive, file_name="app.zip")),
    )
check(taken, ErrorBody)
print(f"same name refused: {taken.code.value}: {taken.fields.additional_properties}")

FINAL = {DeploymentStatus.RUNNING, DeploymentStatus.FAILED, DeploymentStatus.SUPERSEDED}


def finished():
    d = check(get_deployment.sync(deployment.id, client=api), type(deployment))
    return d if d.status in FINAL else None


done = eventually("the deployment to finish", 240, finished)
build_log = get_deployment_log.sync(deployment.id, client=api)
if done.status != DeploymentStatus.RUNNING:
    sys.exit(f"deployment {done.id} ended {done.status.value}: {done.error}\n{build_log.text}")
print(f"deployment {done.id} running; build log {build_log.next_offset} bytes, complete={build_log.complete}")

app = get_app.sync(name, client=api)
if app.status != AppStatus.RUNNING:
    sys.exit(f"app status {app.status.value}")
print(f"app {app.name} {app.status.value}")


def logged():
    lines = app_logs.sync(name, client=api, tail=100)
    if isinstance(lines, ErrorBody):
        sys.exit(f"logs refused: {lines.message}")
    return lines if any(line.text == expected for line in lines) else None


lines = eventually(f"the line {expected!r} in the logs", 30, logged)
line = next(line for line in lines if line.text == expected)
print(f"log line: [{line.stream.value}] {line.text}")

too_many = app_logs.sync(name, client=api, tail=100000)
check(too_many, ErrorBody)
print(f"tail over the maximum refused: {too_many.fields.additional_properties}")
