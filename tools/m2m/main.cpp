// `m2m`: the command-line front end for people (field engineers, test-SIM provisioning, demos).
#include <iostream>

#include "commands.hpp"

int main(int argc, char** argv) {
    CLI::App app{"m2m: the UICC-secured M2M device agent and its card tools"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "m2m 0.1.0");
    int exitCode = 0;
    m2m::cli::addReadersCommand(app, exitCode);
    m2m::cli::addCardCommands(app, exitCode);
    m2m::cli::addApduCommand(app, exitCode);
    m2m::cli::addDoctorCommand(app, exitCode);
    m2m::cli::addProvisionCommand(app, exitCode);
    m2m::cli::addAgentCommands(app, exitCode);
    m2m::cli::addTlsCheckCommand(app, exitCode);
    m2m::cli::addIntegrityCommands(app, exitCode);
    m2m::cli::addIntegrityReportCommand(app, exitCode);  // joins the `integrity` group
    m2m::cli::addGatewayCommands(app, exitCode);
    m2m::cli::addSoftDeviceCommand(app, exitCode);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : static_cast<int>(m2m::cli::Exit::Usage);
    }
    return exitCode;
}
