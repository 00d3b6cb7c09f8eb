namespace securechannel {}
