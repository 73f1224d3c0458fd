//! `https-kit ticket-key new|rotate FILE`: the session-ticket key file that `serve` processes behind
//! one name share so they resume each other's sessions (format: `https_handshake::TicketKeyFile`).
use std::path::PathBuf;

use clap::Subcommand;
use https_handshake::{TicketKeyError, TicketKeyFile};

use crate::output::Failure;

/// Ticket-key commands.
#[derive(Subcommand, Debug)]
pub enum TicketKeyCommand {
    /// Write a new ticket-key file with one random key (mode 0600; refuses an existing file)
    #[command(after_help = "Example:\n  https-kit ticket-key new /etc/https-kit/tickets.key")]
    New {
        /// The key file to create
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Put a fresh key first and keep the previous one (run every 6 hours, e.g. from cron)
    #[command(after_help = "Example:\n  https-kit ticket-key rotate /etc/https-kit/tickets.key")]
    Rotate {
        /// The key file to rotate (atomically rewritten, mode 0600)
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

/// Runs a ticket-key command.
pub fn run(cmd: TicketKeyCommand) -> Result<(), Failure> {
    let (result, file, verb) = match cmd {
        TicketKeyCommand::New { file } => (TicketKeyFile::create(&file), file, "created"),
        TicketKeyCommand::Rotate { file } => (TicketKeyFile::rotate(&file), file, "rotated"),
    };
    match result {
        Ok(()) => {
            eprintln!("https-kit: {verb} {}", file.display());
            Ok(())
        }
        // An existing file or one others may read is a refusal; the rest is bad input.
        Err(e @ (TicketKeyError::Exists { .. } | TicketKeyError::Permissions { .. })) => {
            Err(Failure::refused(e))
        }
        Err(e) => Err(Failure::usage(e)),
    }
}
