# govservice production image: gunicorn + WhiteNoise; the same image runs the Celery worker and beat.
FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    GOVSERVICE_VAR_DIR=/var/lib/govservice

RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /app govservice

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .

# collectstatic needs settings that boot; the real secrets come from the environment at run time.
RUN SECRET_KEY=build-only FIELD_ENCRYPTION_KEY=build-only python manage.py collectstatic --noinput \
    && mkdir -p /var/lib/govservice/media /var/lib/govservice/imports /var/lib/govservice/exports \
    && chmod 700 /var/lib/govservice/imports /var/lib/govservice/exports \
    && chown -R govservice /var/lib/govservice

USER govservice
EXPOSE 8000
CMD ["gunicorn", "govservice.wsgi:application"]
