# The chat server image: chatsite.server (Uvicorn) serving HTTP and WebSockets on port 8000.
# Configure it with environment variables (see .env.example); docker-compose.yml
# runs it beside PostgreSQL and Redis.
FROM python:3.11-slim

# SQLITE_PATH is used only when DATABASE_URL is unset: a file the app user may write.
# MEDIA_ROOT holds uploaded files (a volume in docker-compose.yml).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SQLITE_PATH=/app/data/db.sqlite3 \
    MEDIA_ROOT=/data/media

WORKDIR /app

RUN groupadd --system chat \
    && useradd --system --gid chat --home-dir /app --no-create-home --shell /usr/sbin/nologin chat

# Dependencies first, so that a code change does not reinstall them.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Static files are collected into the image; WhiteNoise serves them. The key is
# a throwaway: collectstatic needs settings to load, and nothing is signed here.
RUN DJANGO_SECRET_KEY=collectstatic-only-not-a-secret python manage.py collectstatic --noinput \
    && mkdir -p /app/data /data/media \
    && chown chat:chat /app/data /data/media

USER chat

EXPOSE 8000

# The server runs as PID 1, so SIGTERM (docker stop) reaches it directly and
# it closes sockets with 1001. Migrations are a separate step (docker-compose.yml
# runs them once, before the replicas start): `python manage.py migrate`.
CMD ["python", "-m", "chatsite.server", "--host=0.0.0.0", "--port=8000", "--proxy-headers", "--forwarded-allow-ips=*"]
