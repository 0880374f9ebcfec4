"""Infrastructure as code for the registry on AWS (CDK, Python). See docs/deploy.md."""
