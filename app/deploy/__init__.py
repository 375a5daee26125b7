"""Deploying to AWS Lambda with boto3: connection, packaging, plan, deploy, remote tools, download."""
