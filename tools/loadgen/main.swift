// aampe-loadgen: a load generator for aamped's binary protocol.
//
//   aampe-loadgen --unix /srv/aampe/aamped.sock --connections 16 --pipeline 16 --duration 5
//   aampe-loadgen --tcp 127.0.0.1:7420 --token-file token --mix ping=9,stats=1 --rate 50000 --json
//   aampe-loadgen --unix aamped.sock --mix recommend=1 --users-file users.txt --recommend-in-stock \
//       --recommend-max-price 40 -c 16 -P 16      # RECOMMEND 10 items for users drawn uniformly from a file
//   aampe-loadgen --unix aamped.sock --mix score=1 --users-pattern user-%07d --users-count 100000 \
//       -c 16 -P 16 --rate 50000                  # SCORE, every label, open loop
//   aampe-loadgen --self-test --connections 16 --pipeline 16       # the generator's own ceiling and cost
//
// See `Options.usage` for every option; `LoadRun` for how a run goes.

import AampeProtocol
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func main() -> Int32 {
    let options: Options
    do {
        options = try Options.parse(Array(CommandLine.arguments.dropFirst()))
    } catch is HelpRequested {
        print(Options.usage)
        return 0
    } catch {
        printError("aampe-loadgen: \(error)\n\n\(Options.usage)")
        return 2
    }
    do {
        let report = try LoadRun(options: options).run()
        if options.json {
            print(report.json())
        } else {
            print(report.text())
        }
        if report.totalErrors > 0 {
            printError(report.errorBanner())
            return 1
        }
        return 0
    } catch {
        printError("aampe-loadgen: \(error)")
        return 1
    }
}

exit(main())
