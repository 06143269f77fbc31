# The steps every service shares, spliced into the service's final stage.
COPY --from=assets-${FLAVOR} /assets /app/assets
WORKDIR /app
CMD ["sh", "-c", ". /app/bin/prelude.sh; sh /app/bin/service.sh"]
