FROM python:3.11-slim
WORKDIR /app
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
