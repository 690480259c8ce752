#!/usr/bin/env bash
#
# Makes the bundles of this tree the baseline that the build checks exported package versions against
# (decision 0033). Run it on the commit of a release, with the release's version:
#
#   scripts/baseline.sh [<version>] [<mvn options>...]
#
# <version> defaults to the project version, which must then not be a -SNAPSHOT. The bundles baselined are
# those whose pom declares bnd-baseline-maven-plugin. baseline/ is emptied and receives their jars as
# io.tandem:<artifact>:<version> (a Maven repository with checksums), and baseline.version in pom.xml is
# set to <version>. Commit both. A version once in baseline/ is never rebuilt under the same number: Maven
# keeps the first copy it resolved in its local repository.
#
set -euo pipefail
cd "$(dirname "$0")/.."
project=$(sed -n 's:^  <version>\(.*\)</version>$:\1:p' pom.xml | head -1)
version=${1:-$project}
if [ $# -gt 0 ]; then shift; fi
case $version in
  -*) echo "usage: scripts/baseline.sh [<version>] [<mvn options>...]" >&2; exit 2 ;;
  *-SNAPSHOT) echo "baseline: $version is a snapshot; give the released version" >&2; exit 2 ;;
esac
modules=$(grep -l '<artifactId>bnd-baseline-maven-plugin</artifactId></plugin>' bundles/*/pom.xml | xargs -n1 dirname)
mvn -B -q "$@" package -DskipTests -Dbnd.baseline.skip=true -am -pl "$(echo $modules | tr ' ' ,)"
online=()  # the deploy plugin refuses to run offline, even to a directory
for a in "$@"; do case $a in -o|--offline) ;; *) online+=("$a") ;; esac; done
rm -rf baseline
for m in $modules; do
  artifact=$(sed -n 's:^  <artifactId>\(.*\)</artifactId>$:\1:p' "$m/pom.xml" | head -1)
  # a pom of its own: deploy-file would otherwise take the module's pom out of the jar (a snapshot parent)
  printf '<project><modelVersion>4.0.0</modelVersion><groupId>io.tandem</groupId><artifactId>%s</artifactId><version>%s</version></project>\n' \
    "$artifact" "$version" > "$m/target/baseline.pom"
  mvn -B -q -N "${online[@]}" org.apache.maven.plugins:maven-deploy-plugin:3.1.3:deploy-file \
    -Dfile="$m/target/$artifact-$project.jar" -DpomFile="$m/target/baseline.pom" \
    -DrepositoryId=tandem-baseline -Durl="file://$PWD/baseline"
  echo "baseline: io.tandem:$artifact:$version"
done
sed -i "s:<baseline.version>.*</baseline.version>:<baseline.version>$version</baseline.version>:" pom.xml
