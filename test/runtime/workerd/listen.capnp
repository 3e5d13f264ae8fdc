# workerd with nodejs_compat on (the default at this compatibility date), for web-runtimes.test.ts: one Worker (listen.mjs) that imports
# esmtp, which the test bundles into one module at /esmtp.js on the import path (--import-path).
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "main", worker = .worker)],
  sockets = [(name = "http", address = "127.0.0.1:8080", http = (), service = "main")],
);

const worker :Workerd.Worker = (
  modules = [
    (name = "listen.mjs", esModule = embed "listen.mjs"),
    (name = "esmtp", esModule = embed "/esmtp.js"),
  ],
  # nodejs_compat is on by default from 2026-08-04.
  compatibilityDate = "2026-11-01",
);
