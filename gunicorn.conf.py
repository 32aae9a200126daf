"""gunicorn's settings file, read from the working directory by every `gunicorn` started here.

The command line (docker-compose, bench) sets workers, binding and time-outs; this file sets only what
every deployment needs: an access log that never writes a channel key or an API query string
(govservice/accesslog.py).
"""

logger_class = "govservice.accesslog.AccessLogger"
