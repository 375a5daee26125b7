"""Deploying a whole project as a CloudFormation stack (build, package, review, execute, follow)."""
