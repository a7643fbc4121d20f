FROM python:3.11-slim
WORKDIR /app
# FriBiDi: Pillow's raqm layout needs it to shape Arabic and Hebrew in branded images.
RUN apt-get update && apt-get install -y --no-install-recommends libfribidi0 && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY hub ./hub
COPY workers ./workers
COPY templates ./templates
COPY static ./static
RUN pip install --no-cache-dir .
ENV PIEUVRE_VAR_DIR=/data
VOLUME /data
EXPOSE 8000
CMD ["pieuvre", "serve"]
