echo "worker ($LOG_LEVEL): $(cat /app/build-info), $(cat /app/assets/app.txt)"
/app/bin/lint
