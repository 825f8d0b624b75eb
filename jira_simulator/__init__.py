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

Demo dataset (``--dataset demo``; accountIds are constants in ``jira_simulator.datasets``):

* projects WEB (id 10000, 128 issues), MOB (10001, 93), FIN (10002, 64); issue ids 10000…10284.
  FIN is open only to the group ``finance``; MOB-45…MOB-59 carry the issue security level
  "Mobile team only" (id 10200: MOB Developers/Administrators roles, the reporter, apps).
* users: ``…4a01`` Alice Adams, site admin (WEB, MOB); ``…4a02`` Bob Brown (WEB, MOB, not
  in the MOB security level); ``…4a03`` Carol Chen, mobile team; ``…4a05`` Erin Evans and
  ``…4a06`` Frank Fischer, finance (all three projects); ``…4a11`` Ken Kowalski, contractor
  (WEB only); ``…4a12`` Nora Novak, in no group (nothing). Prefix: ``5b10ac8d82e05b22cc7d``.
* issue types: Epic 10000 (level 1), Story 10001, Task 10002, Bug 10003 (level 0),
  Sub-task 10004 (level -1). Statuses: To Do 10000, In Progress 3, In Review 10001, Done 10002.
* link types: Blocks 10000, Cloners 10001, Duplicate 10002, Relates 10003.
* fields: Story Points ``customfield_10016`` (``cf[10016]``), Team ``customfield_10001``,
  Rank ``customfield_10019`` (ORDER BY rank).
* epics: WEB-1 Checkout redesign, WEB-24, WEB-49, WEB-75, WEB-90; MOB-1, MOB-20, MOB-42,
  MOB-60; FIN-1, FIN-23, FIN-40.

Jira quirks kept on purpose: JQL without a restriction is a 400 ("Unbounded JQL queries are
not allowed here"); naming a project or issue the caller may not browse is a 400 as if it
did not exist; ``!=``/``NOT IN`` never match empty values; bulkfetch silently omits missing
and hidden issues (``issueErrors`` lists only malformed ids/keys); no ORDER BY means
``created DESC``.
"""

from jira_simulator.handle import SimulatorHandle

__all__ = ["SimulatorHandle"]
