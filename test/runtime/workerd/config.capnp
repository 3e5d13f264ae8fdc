# workerd with nodejs_compat off, for web-runtimes.test.ts: one Worker (worker.mjs) that imports
# esmtp/web, the built dist/web.js. The test gives the HTTP socket's address (--socket-addr) and
# the import path (--import-path) where it wrote its CA as /esmtp-test-ca.pem, which the Worker's
# outbound network trusts.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (
      name = "network",
      network = (
        allow = ["local", "private", "public"],
        tlsOptions = (trustedCertificates = [embed "/esmtp-test-ca.pem"]),
      ),
    ),
  ],
  sockets = [(name = "http", address = "127.0.0.1:8080", http = (), service = "main")],
);

const worker :Workerd.Worker = (
  modules = [
    (name = "worker.mjs", esModule = embed "worker.mjs"),
    (name = "esmtp/web", esModule = embed "../../../dist/web.js"),
  ],
  # Before 2026-08-04, when nodejs_compat became the default, and no flag turns it on.
  compatibilityDate = "2025-09-01",
  globalOutbound = "network",
);
