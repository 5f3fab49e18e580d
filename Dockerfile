# The dnsfailover container image: Debian 12 with the project's own .deb
# packages, built without any registry or network by scripts/build-image:
#
#   scripts/build-image [TAG]            (default dnsfailover:VERSION and dnsfailover:latest)
#
# which imports the base (a `debootstrap --variant=minbase bookworm` root file
# system with the runtime libraries, as dnsfailover-base:bookworm), builds the
# packages into the build context's debs/ and runs `docker build` on it. By
# hand, with such a context:
#
#   docker build --network host --build-arg BASE=dnsfailover-base:bookworm -t dnsfailover CONTEXT
#
# Run it as the Python tool's image was run (see README, "Container image"):
#
#   docker run -d --name dns-failover --init --restart unless-stopped \
#       --stop-timeout 30 --env-file .env.primary \
#       -v /etc/dnsfailover/tsig.key:/etc/dnsfailover/tsig.key:ro dnsfailover
#   docker exec dns-failover dnsfailover show      (init, promote, failback, validate)
#   docker run -d --name otel-watcher --init --group-add "$(stat -c %g /var/run/docker.sock)" \
#       -e DNS_RECORD=... -e MY_IP=... -e OTEL_CONTAINER=otel-collector -e DNS_SERVER=... \
#       -v /var/run/docker.sock:/var/run/docker.sock --no-healthcheck dnsfailover watch
#   docker run -d --init -v /etc/dnsrecordsd:/etc/dnsrecordsd:ro \
#       -e HEALTHCHECK_URL=http://127.0.0.1:8053/healthz dnsfailover \
#       dnsrecordsd -c /etc/dnsrecordsd/dnsrecordsd.conf
#
# The configuration comes from the environment (--env-file, -e): with no -c,
# dnsfailover reads no file, only its environment.

ARG BASE=dnsfailover-base:bookworm
FROM ${BASE}

# The package's system user, created by its maintainer scripts. The state
# and log directories of all three programs are its own: in the image they
# all run as this user (the packages run dnsrecordsd and zonepushd as root).
ARG USER_NAME=dnsfailover

# Only the packages of the build context: dpkg, no apt, no network. dpkg
# fails here when the base lacks a library the packages depend on.
COPY debs/ /tmp/debs/
RUN set -eu; \
	ls /tmp/debs/*.deb >/dev/null; \
	dpkg -i /tmp/debs/*.deb; \
	rm -rf /tmp/debs; \
	id "$USER_NAME" >/dev/null; \
	group=$(id -gn "$USER_NAME"); \
	install -d -o "$USER_NAME" -g "$group" -m 0700 /var/lib/dnsfailover; \
	for d in /var/log/dnsrecordsd /var/lib/zonepushd; do \
		install -d -o "$USER_NAME" -g "$group" -m 0700 "$d"; \
	done; \
	dnsfailover --version

COPY container/entrypoint container/healthcheck /usr/local/lib/dnsfailover/

# The daemons never need root; only the watcher needs the Docker socket's
# group, which `docker run --group-add GID` gives it.
# The working directory stays /: the image may also run under any other
# uid (etc/k8s/ uses runAsUser 10001 with a read-only root file system),
# which could not enter /var/lib/dnsfailover.
USER ${USER_NAME}

# Logs go to stderr (LOG_TARGET's default), so `docker logs` has them.

# SIGTERM: an active site steps down and exits 0 within a DNS timeout (and
# the watcher stops its collector); give it `docker run --stop-timeout 30`
# (the engine's default of 10 s may cut a watcher's collector stop short).
# PID 1 is the daemon itself, which handles SIGTERM, SIGINT and SIGHUP; run
# with --init so that the engine's init also reaps what a provider script or
# a watcher command leaves behind.
STOPSIGNAL SIGTERM

# GET /healthz on METRICS_LISTEN (or HEALTHCHECK_URL): "ok" while the
# daemon's event loop runs. Without either, the check fails and says so:
# set METRICS_LISTEN, or run with --no-healthcheck (the watcher serves none).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
	CMD ["/usr/local/lib/dnsfailover/healthcheck"]

ENTRYPOINT ["/usr/local/lib/dnsfailover/entrypoint"]
CMD ["run"]
