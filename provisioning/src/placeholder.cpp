namespace provisioning {}
