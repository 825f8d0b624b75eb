"""Command line: ``python -m jira_simulator --port 8001 --dataset demo [--app-url URL]``."""

from __future__ import annotations

import argparse
import logging
import sys
import threading

from jira_simulator import connect
from jira_simulator.faults import FaultConfigError, Faults, parse_rate
from jira_simulator.server import serve
from jira_simulator.state import Simulator

log = logging.getLogger("jira_simulator")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m jira_simulator",
        description="A stand-in Jira Cloud site on 127.0.0.1.",
    )
    parser.add_argument(
        "--port", type=int, default=8001, help="port on 127.0.0.1 (default 8001)"
    )
    parser.add_argument("--dataset", choices=["demo", "generated"], default="demo")
    parser.add_argument(
        "--issues", type=int, default=10_000, help="generated: number of issues"
    )
    parser.add_argument("--seed", type=int, default=1, help="generated: random seed")
    parser.add_argument(
        "--base-url", help="the site's baseUrl (default http://localhost:PORT)"
    )
    parser.add_argument("--app-url", help="install the app found here on start")
    parser.add_argument(
        "--install-wait",
        type=float,
        default=120.0,
        help="seconds to wait for the app to come up",
    )
    faults = parser.add_argument_group("faults")
    faults.add_argument("--latency-ms", type=int, default=0)
    faults.add_argument(
        "--error-rate", type=float, default=0.0, help="share of calls failing, 0..1"
    )
    faults.add_argument("--error-status", type=int, default=503)
    faults.add_argument(
        "--reset-rate", type=float, default=0.0, help="share of connections dropped"
    )
    faults.add_argument(
        "--slow-body-ms", type=int, default=0, help="pause between body chunks"
    )
    faults.add_argument(
        "--fault-endpoint",
        help='limit faults to e.g. "POST /rest/api/3/issue/bulkfetch"',
    )
    faults.add_argument(
        "--fault-times", type=int, help="apply faults to the next N calls only"
    )
    faults.add_argument(
        "--rate-limit", help="per-installation limit, e.g. 10/s or 600/min"
    )
    faults.add_argument("--rate-limit-burst", type=int, help="token bucket size")
    faults.add_argument("--quiet", action="store_true", help="no request log")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s jira-simulator %(message)s"
    )
    try:
        fault_config = Faults(
            latency_ms=args.latency_ms,
            error_rate=args.error_rate,
            error_status=args.error_status,
            reset_rate=args.reset_rate,
            slow_body_ms=args.slow_body_ms,
            endpoint=args.fault_endpoint,
            times=args.fault_times,
            rate_limit_per_s=parse_rate(args.rate_limit) if args.rate_limit else None,
            rate_limit_burst=args.rate_limit_burst,
        )
        fault_config.validate()
        sim = Simulator(args.dataset, issues=args.issues, seed=args.seed)
    except (FaultConfigError, ValueError) as exc:
        print(f"jira_simulator: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    sim.faults.set(fault_config)
    server = serve(sim, args.port, quiet=args.quiet)
    sim.base_url = (args.base_url or f"http://localhost:{server.server_port}").rstrip(
        "/"
    )
    log.info(
        "serving %s (%d issues) at %s; install keys at %s/connect-install-keys",
        sim.site.title,
        len(sim.site.issues),
        sim.base_url,
        sim.base_url,
    )
    if args.app_url:
        threading.Thread(
            target=_install, args=(sim, args.app_url, args.install_wait), daemon=True
        ).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _install(sim: Simulator, app_url: str, wait_s: float) -> None:
    try:
        inst = sim.install_app(app_url, wait_s=wait_s)
    except connect.ConnectError as exc:
        log.error("could not install the app from %s: %s", app_url, exc)
        return
    log.info(
        "installed %s (clientKey %s) from %s", inst.app_key, inst.client_key, app_url
    )


if __name__ == "__main__":
    sys.exit(main())
