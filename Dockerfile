# syntax=docker/dockerfile:1
# The acd daemon: ARI application, agents' web app and /metrics, all on port 8080.
#
#   docker build -t acd .
#   docker run --rm -p 8080:8080 -e ACD_ARI__URL=http://pbx:8088 -e ACD_ARI__PASSWORD=... acd
#
# Configuration is environment variables (ACD_<SECTION>__<FIELD>, acd/config.py) and optionally
# a TOML file named by ACD_CONFIG. `acd` is the entrypoint: the default command is `run`;
# `docker run acd db init` applies the database schema.

# ---- build: install acd and its dependencies into a virtualenv ----------------------------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
# A venv is a self-contained folder that the runtime stage copies whole, without pip or
# build leftovers. All dependencies ship manylinux wheels: no compiler needed.
RUN python -m venv /opt/acd
WORKDIR /src
# Only what the package build needs, so editing docs or tests does not bust this layer.
COPY pyproject.toml ./
COPY acd ./acd
RUN /opt/acd/bin/pip install .

# ---- runtime ---------------------------------------------------------------------------
FROM python:3.11-slim
# A fixed, non-root uid/gid: files in the journal volume keep their owner across image
# rebuilds, and Kubernetes' runAsNonRoot can check it.
RUN groupadd --system --gid 10001 acd \
 && useradd --system --uid 10001 --gid acd --home-dir /var/lib/acd --no-create-home \
        --shell /usr/sbin/nologin acd \
 && install -d -o acd -g acd -m 0750 /var/lib/acd /var/lib/acd/journal
COPY --from=build /opt/acd /opt/acd
# The agents' and supervisors' browser app (with the vendored SIP.js bundle), served by the
# daemon; it lives outside the Python package, at /app/agent_ui (WORKDIR-relative "agent_ui").
WORKDIR /app
COPY agent_ui ./agent_ui
# acd db init applies it (the daemon looks in its working directory).
COPY schema.sql ./

ENV PATH=/opt/acd/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    # Listen on all interfaces of the container (the default, 127.0.0.1, is unreachable
    # from outside it); publish the port deliberately.
    ACD_WEB__HOST=0.0.0.0 \
    ACD_WEB__PORT=8080 \
    # The outbox journal lives on the volume below so it survives container replacement.
    ACD_DATABASE__JOURNAL_DIR=/var/lib/acd/journal \
    # One JSON object per line on stdout, for docker logs and log shippers.
    ACD_LOG__FORMAT=json

USER acd
VOLUME ["/var/lib/acd"]
EXPOSE 8080

# Healthy when the web server answers /healthz. Python's stdlib instead of curl: the slim
# image has no curl, and this adds nothing to it.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('ACD_WEB__PORT', '8080'), timeout=2)" || exit 1

# SIGTERM (docker stop) lets acd flush its outbox; give it time with
# `docker stop -t 60` / compose's stop_grace_period.
STOPSIGNAL SIGTERM
ENTRYPOINT ["acd"]
CMD ["run"]
