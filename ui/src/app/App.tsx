import { Route, Routes } from "react-router";
import { AccountPage } from "../pages/AccountPage";
import { ResetPage } from "../pages/admin/ResetPage";
import { UsersPage } from "../pages/admin/UsersPage";
import { ArtifactPage } from "../pages/artifact/ArtifactPage";
import { BrowsePage } from "../pages/browse/BrowsePage";
import { ChoosePage } from "../pages/choose/ChoosePage";
import { GroupsPage } from "../pages/groups/GroupsPage";
import { HomePage } from "../pages/HomePage";
import { NotFoundPage } from "../pages/NotFoundPage";
import { ConfusionPage } from "../pages/ops/ConfusionPage";
import { HealthPage } from "../pages/ops/HealthPage";
import { LoadTestsPage } from "../pages/ops/LoadTestsPage";
import { LogsPage } from "../pages/ops/LogsPage";
import { TracesPage } from "../pages/ops/TracesPage";
import { RegisterPage } from "../pages/register/RegisterPage";
import { SignInPage } from "../pages/SignInPage";
import { AnnouncerProvider } from "./announcer";
import { Layout } from "./Layout";
import { RequireAuth } from "./RequireAuth";
import { SessionProvider } from "./session";

/** Every client route. A page that needs a permission is wrapped in <RequireAuth>. */
export function App() {
  return (
    <AnnouncerProvider>
      <SessionProvider>
        <Routes>
          <Route element={<Layout />}>
            <Route index element={<HomePage />} />
            <Route path="signin" element={<SignInPage />} />
            <Route
              path="artifacts"
              element={
                <RequireAuth requires="search">
                  <BrowsePage />
                </RequireAuth>
              }
            />
            <Route
              path="choose"
              element={
                <RequireAuth requires="search">
                  <ChoosePage />
                </RequireAuth>
              }
            />
            <Route
              path="artifacts/:type/:id"
              element={
                <RequireAuth requires="search">
                  <ArtifactPage />
                </RequireAuth>
              }
            />
            <Route
              path="register"
              element={
                <RequireAuth requires="upload">
                  <RegisterPage />
                </RequireAuth>
              }
            />
            <Route
              path="groups"
              element={
                <RequireAuth requires="upload">
                  <GroupsPage />
                </RequireAuth>
              }
            />
            {/* Public route (GET /health/components needs no token): open to anyone. */}
            <Route path="ops/health" element={<HealthPage />} />
            {["ops/logs", "ops/traces", "ops/traces/:traceId"].map((path) => (
              <Route
                key={path}
                path={path}
                element={
                  <RequireAuth requires="admin">{path === "ops/logs" ? <LogsPage /> : <TracesPage />}</RequireAuth>
                }
              />
            ))}
            <Route
              path="ops/load-tests"
              element={
                <RequireAuth requires="admin">
                  <LoadTestsPage />
                </RequireAuth>
              }
            />
            <Route
              path="ops/confusion"
              element={
                <RequireAuth requires="admin">
                  <ConfusionPage />
                </RequireAuth>
              }
            />
            <Route
              path="admin/users"
              element={
                <RequireAuth requires="admin">
                  <UsersPage />
                </RequireAuth>
              }
            />
            <Route
              path="admin/reset"
              element={
                <RequireAuth requires="admin">
                  <ResetPage />
                </RequireAuth>
              }
            />
            <Route
              path="account"
              element={
                <RequireAuth>
                  <AccountPage />
                </RequireAuth>
              }
            />
            <Route path="*" element={<NotFoundPage />} />
          </Route>
        </Routes>
      </SessionProvider>
    </AnnouncerProvider>
  );
}
