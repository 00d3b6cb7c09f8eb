// The subcommands of `m2m`, one registration function each (one file per command group).
// Each stores its outcome in `exitCode` when it runs.
#pragma once

#include "cli.hpp"

namespace m2m::cli {

void addReadersCommand(CLI::App& app, int& exitCode);
void addCardCommands(CLI::App& app, int& exitCode);
void addApduCommand(CLI::App& app, int& exitCode);
void addDoctorCommand(CLI::App& app, int& exitCode);
void addProvisionCommand(CLI::App& app, int& exitCode);
void addAgentCommands(CLI::App& app, int& exitCode);
void addTlsCheckCommand(CLI::App& app, int& exitCode);
void addIntegrityCommands(CLI::App& app, int& exitCode);
// `m2m integrity verify`, registered under the `integrity` command by addIntegrityCommands.
void addIntegrityVerifyCommand(CLI::App& integrity, int& exitCode);
// `m2m integrity report`: joins the `integrity` group when it exists, else makes it.
void addIntegrityReportCommand(CLI::App& app, int& exitCode);
void addGatewayCommands(CLI::App& app, int& exitCode);
// `m2m soft-device create`: a software-only device's key file (agent/GATEWAY.md §5).
void addSoftDeviceCommand(CLI::App& app, int& exitCode);

}  // namespace m2m::cli
