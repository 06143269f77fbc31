# The steps every service shares, spliced into the service's final stage.
COPY --from=assets-${FLAVOR} /assets /app/assets
# The lint tool, a stage imported from another Dockerfile of the project.
COPY --from=context:tools/Dockerfile#lint /out/lint /app/bin/lint
WORKDIR /app
CMD ["sh", "-c", ". /app/bin/prelude.sh; sh /app/bin/service.sh"]
