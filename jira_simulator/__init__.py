"""A stand-in Jira Cloud site for the demo and the tests. Imports nothing from the app.

Run it: ``python -m jira_simulator --port 8001 --dataset demo --app-url http://localhost:8000``
(``--help`` lists dataset and fault options). Point the app's ``CONNECT_INSTALL_KEYS_URL``
at ``http://localhost:8001/connect-install-keys``.

In tests, start it in a thread::

    from jira_simulator import SimulatorHandle

    sim = SimulatorHandle.start(dataset="demo")          # free port on 127.0.0.1
    sim.base_url                                        # "http://127.0.0.1:PORT"
    sim.install_keys_url                                # ".../connect-install-keys"
    sim.client_key                                      # stable per dataset

    inst = sim.install_app("http://127.0.0.1:8000")     # signed install handshake
    inst = sim.add_installation(app_key="structure-cloud",
                                app_base_url="http://127.0.0.1:8000",
                                shared_secret="s3cret", client_key=None,
                                descriptor=None)        # no handshake
    sim.installations()                                 # [Installation(app_key, client_key,
                                                        #   shared_secret, app_base_url, ...)]
    sim.uninstall_app("structure-cloud")                # disabled + signed uninstalled

    sim.app_jwt(inst, "GET", "/rest/api/3/myself")      # a token as the app signs it
    sim.page_jwt(account_id, "/board/")                 # iframe page JWT (HS256, sub)
    sim.page_url(account_id)                            # full signed generalPages URL
    sim.context_jwt(account_id)                         # AP.context.getToken() result
    sim.user_session(account_id)                        # cookies: REST calls as that user

    sim.set_faults(latency_ms=0, error_rate=1.0, error_status=503, reset_rate=0.0,
                   slow_body_ms=0, endpoint="POST /rest/api/3/issue/bulkfetch",
                   times=2, rate_limit_per_s=None, rate_limit_burst=None, seed=None)
    sim.clear_faults()
    sim.call_counts()        # {"POST /rest/api/3/issue/bulkfetch": 3, ...}
    sim.reset_call_counts()

    # Data changes fire the descriptor's webhooks (JWT-signed) before returning.
    issue = sim.create_issue(project="WEB", issuetype="Story", summary="New",
                             parent="WEB-1", fields={"labels": ["ux"]})
    sim.update_issue("WEB-2", fields={"summary": "Renamed", "customfield_10016": 5},
                     status="Done")
    sim.set_status("WEB-2", "In Progress")
    sim.delete_issue("WEB-3")
    link = sim.add_link("Blocks", "WEB-4", "WEB-5")     # WEB-4 blocks WEB-5
    sim.remove_link(link.id)
    sim.webhook_deliveries()                            # [WebhookDelivery(event, url, status, ...)]
    sim.issue("WEB-2")                                  # the simulator's record

    sim.reset()               # data, faults, counters, webhook log (installs survive;
                              # reset(installations=True) forgets them too)
    sim.stop()                # or use it as a context manager

Authentication: REST calls need ``Authorization: JWT <token>`` (HS256, the install's shared
secret, iss = app key or clientKey, qsh of the call) and then run as the app's user, which
sees every project; or a host-page session cookie (``user_session``), which runs as that
user. Anything else is a 401. The same operations exist over HTTP under ``/_sim/``
(loopback only): ``POST /_sim/reset``, ``GET|POST|DELETE /_sim/faults``,
``GET /_sim/installations``, ``POST /_sim/install {"appUrl"}``, ``GET /_sim/users``,
``GET|DELETE /_sim/calls``, ``GET /_sim/webhooks``, ``POST /_sim/issues``,
``PUT|DELETE /_sim/issues/{idOrKey}``, ``POST /_sim/links``, ``DELETE /_sim/links/{id}``,
``GET /_sim/page-url?user=``.
"""

from jira_simulator.handle import SimulatorHandle

__all__ = ["SimulatorHandle"]
