namespace agent {}
